using Akka.Actor;
using Akka.Cluster.Sharding;
using WeightWatcher.Cluster.Protocol;

namespace WeightWatcher.Cluster.Workers;

/// <summary>
/// Sharded entity of the <c>layer</c> region, one per layer cache key. It runs its task once, answers
/// every sender that asked meanwhile (a re-sent task joins the running one), then passivates.
/// </summary>
public sealed class LayerWorker : ReceiveActor
{
    private readonly ZooNodeServices _services;
    private readonly List<IActorRef> _waiting = [];
    private readonly Serilog.ILogger _log = Serilog.Log.ForContext<LayerWorker>();
    private readonly CancellationTokenSource _stop = new();
    private AnalyzeLayer? _current;

    /// <summary>Creates the entity (through the dependency resolver: <c>resolver.Props&lt;LayerWorker&gt;()</c>).</summary>
    /// <param name="services">The node's services, from the container.</param>
    public LayerWorker(ZooNodeServices services)
    {
        _services = services;
        Receive<AnalyzeLayer>(Start);
        Receive<Completed>(Finish);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _stop.Cancel();
        if (_current is { } task)
        {
            // Stopped mid-task (hand-off or shutdown): say so at once, so the coordinator re-sends now
            // instead of waiting for the task's deadline.
            string node = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
            foreach (var sender in _waiting)
            {
                sender.Tell(new LayerFailed(task.LayerKey, task.JobId, node, $"{task.ModelName}: layer {task.LayerId}: worker stopped before finishing", Permanent: false));
            }
        }
    }

    private void Start(AnalyzeLayer task)
    {
        // A task sent again while it runs joins it; its sender gets one reply (the reply carries the task's
        // blob retries, which the coordinator adds up: one reply, counted once).
        if (!_waiting.Contains(Sender))
        {
            _waiting.Add(Sender);
        }
        if (_current is not null)
        {
            return;
        }
        _current = task;
        string node = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
        _log.Debug("Analyzing {Model} layer {LayerId} ({Key})", task.ModelName, task.LayerId, task.LayerKey);
        LayerTask.RunAsync(_services, task, node, _stop.Token)
            .ContinueWith(t => new Completed(t.IsCompletedSuccessfully
                ? t.Result
                : new LayerFailed(task.LayerKey, task.JobId, node, $"{task.ModelName}: layer {task.LayerId}: interrupted", Permanent: false)), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void Finish(Completed done)
    {
        _log.Debug("Layer {Key}: {Reply}", _current?.LayerKey, done.Reply.GetType().Name);
        foreach (var sender in _waiting)
        {
            sender.Tell(done.Reply);
        }
        _waiting.Clear();
        _current = null;
        // One task per entity: let the shard stop it, buffering anything that arrives meanwhile.
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private sealed record Completed(IZooMessage Reply);
}
