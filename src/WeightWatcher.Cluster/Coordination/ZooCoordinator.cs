using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Cluster.Workers;

namespace WeightWatcher.Cluster.Coordination;

/// <summary>
/// The cluster singleton that runs a zoo job: plans it (models, headers, cache keys), skips layers whose
/// results are stored, sends the rest to the <c>layer</c> shard region with a bounded number in flight,
/// re-sends what times out or what a departed member held, and reduces everything into reports and a
/// manifest. The job lives in a replicated register (DData), so when the singleton moves to another node
/// it reads the job back and resumes: the layers already stored are not analyzed again.
/// The decisions are <see cref="JobRun"/>'s (an immutable state with pure transitions); this actor feeds
/// it messages, time and the number of workers up, carries out the effects it returns, and switches its
/// behaviour with the phase.
/// </summary>
public sealed class ZooCoordinator : ReceiveActor, IWithTimers
{
    /// <summary>The replicated register holding the current job.</summary>
    public static readonly LWWRegisterKey<ZooJobRecord> JobKey = new("ww-zoo-job");

    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);

    private readonly ZooNodeServices _services;
    private readonly IActorRef _region;
    // Serilog directly (structured events); Akka's own log is kept at warnings, see the hosting extensions.
    private readonly Serilog.ILogger _log = Serilog.Log.ForContext<ZooCoordinator>();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IActorRef _replicator;
    private readonly CancellationTokenSource _stop = new();
    private JobRun _run;

    /// <summary>
    /// Creates the coordinator, through the dependency resolver: <c>resolver.Props&lt;ZooCoordinator&gt;(region)</c>
    /// takes the services and settings from the container (a spec may pass its own settings too).
    /// </summary>
    /// <param name="services">The node's services.</param>
    /// <param name="region">The <c>layer</c> shard region (or a probe standing in for it).</param>
    /// <param name="settings">Dispatch settings of the jobs it runs.</param>
    public ZooCoordinator(ZooNodeServices services, IActorRef region, ZooCoordinatorSettings settings)
    {
        _services = services;
        _region = region;
        _run = JobRun.Idle(settings);
        _replicator = DistributedData.Get(Context.System).Replicator;
        Idle();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
        // A singleton that starts on a node may be taking over a job another node was running.
        _replicator.Tell(Dsl.Get(JobKey, new ReadMajority(TimeSpan.FromSeconds(5))));
        Timers.StartPeriodicTimer("tick", Tick.Instance, TickInterval);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _stop.Cancel();
        _cluster.Unsubscribe(Self);
    }

    /// <summary>No job running (none yet, finished or failed): a submitted or replicated job starts one.</summary>
    private void Idle()
    {
        Receive<GetSuccess>(g => g.Key.Equals(JobKey), g => Apply(_run.Resume(g.Get(JobKey).Value, Now)));
        Receive<NotFound>(_ => { });
        Receive<GetFailure>(_ => _replicator.Tell(Dsl.Get(JobKey, ReadLocal.Instance)));
        Common();
    }

    private void Planning()
    {
        Receive<PlanReady>(p => Apply(_run.Planned(p.JobId, p.Plan, p.CachedKeys, Now, WorkersUp(), p.StoreRetries)));
        Receive<PlanProgress>(p => Apply(_run.PlanProgressed(p.JobId, p.Done, p.Total)));
        Common();
    }

    private void Analyzing()
    {
        Receive<LayerAnalyzed>(r => Apply(_run.Analyzed(r, Now, WorkersUp())));
        Receive<LayerFailed>(r => Apply(_run.LayerFailed(r, Now, WorkersUp())));
        Receive<Tick>(_ => Apply(_run.Tick(Now, WorkersUp())));
        Receive<ClusterEvent.MemberRemoved>(m => Apply(_run.MemberLeft(m.Member.Address.ToString(), Now)));
        Common();
    }

    private void Reporting()
    {
        Receive<ReportsWritten>(w => Apply(_run.ReportsWritten(w.JobId, w.Manifest)));
        Common();
    }

    /// <summary>What every phase handles: submissions, status, failures, and replies that arrive late.</summary>
    private void Common()
    {
        Receive<SubmitJob>(s =>
        {
            var (step, refusal) = _run.Submit(s.Spec, Now);
            Apply(step);
            Sender.Tell(refusal is null ? _run.Status(Now) : _run.Status(Now) with { Message = refusal });
        });
        Receive<GetJobStatus>(_ => Sender.Tell(_run.Status(Now)));
        Receive<JobFailed>(f => Apply(_run.JobFailed(f.JobId, f.Reason)));
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => _log.Warning("Could not replicate the job record: {Failure}", f.ToString()));
        // Replies of an earlier job, ticks and membership outside the analysis phase change nothing.
        ReceiveAny(_ => { });
    }

    private void Apply(JobStep step)
    {
        var before = _run.Phase;
        _run = step.Next;
        foreach (var effect in step.Effects)
        {
            Carry(effect);
        }
        if (_run.Phase != before)
        {
            Become(_run.Phase switch
            {
                JobPhase.Planning => Planning,
                JobPhase.Analyzing => Analyzing,
                JobPhase.Reporting => Reporting,
                _ => Idle,
            });
        }
    }

    private void Carry(JobEffect effect)
    {
        switch (effect)
        {
            case SendTasks send:
                foreach (var task in send.Tasks)
                {
                    _region.Tell(task, Self);
                }
                break;
            case ReplicateJob replicate:
                Replicate(replicate.Record);
                break;
            case StartPlanning plan:
                StartPlanning(plan.Spec);
                break;
            case WriteReports reports:
                StartReports(reports);
                break;
            case LogNote note:
                _log.Write(note.Level, note.Template, note.Values);
                break;
        }
    }

    /// <summary>The one place the replicated job register is written (a majority, so a successor finds it).</summary>
    private void Replicate(ZooJobRecord record) =>
        _replicator.Tell(Dsl.Update(JobKey, new LWWRegister<ZooJobRecord>(_cluster.SelfUniqueAddress, record), new WriteMajority(TimeSpan.FromSeconds(5)), r => r.WithValue(_cluster.SelfUniqueAddress, record)));

    private void StartPlanning(ZooJobSpec spec)
    {
        var self = Self;
        var progress = new SynchronousProgress(p => self.Tell(new PlanProgress(spec.JobId, p.Item1, p.Item2)));
        PlanAsync(spec, progress).PipeTo(Self, failure: e => new JobFailed(spec.JobId, $"planning failed: {e.GetBaseException().Message}"));
    }

    private async Task<PlanReady> PlanAsync(ZooJobSpec spec, IProgress<(int, int)> progress)
    {
        using var retries = WeightWatcher.Storage.StoreRetries.Begin();
        var plan = await new ZooPlanner(_services).PlanAsync(spec, progress, _stop.Token).ConfigureAwait(false);
        var keys = await _services.Cache(spec.Location).ListKeysAsync(_stop.Token).ConfigureAwait(false);
        return new PlanReady(spec.JobId, plan, keys, retries.Count);
    }

    private void StartReports(WriteReports w) =>
        ZooReporting.WriteAsync(_services, w.Spec, w.Plan, w.Outcome, w.StartedAt, (w.PlanningSeconds, w.AnalysisSeconds), _stop.Token)
            .PipeTo(Self, success: m => new ReportsWritten(w.Spec.JobId, m), failure: e =>
            {
                _log.Error(e.GetBaseException(), "Writing the reports of {JobId} failed", w.Spec.JobId);
                return new JobFailed(w.Spec.JobId, $"writing reports failed: {e.GetBaseException().Message}");
            });

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    private int WorkersUp() => _cluster.State.Members.Count(m => m.Status == MemberStatus.Up && m.HasRole(ClusterRoles.Worker));

    private sealed record PlanReady(string JobId, ZooPlan Plan, HashSet<string> CachedKeys, int StoreRetries);

    private sealed record PlanProgress(string JobId, int Done, int Total);

    private sealed record JobFailed(string JobId, string Reason);

    private sealed record ReportsWritten(string JobId, JobManifest Manifest);

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    /// <summary>Progress that reports on the caller's thread (System.Progress would post to a thread-pool context).</summary>
    private sealed class SynchronousProgress(Action<(int, int)> report) : IProgress<(int, int)>
    {
        public void Report((int, int) value) => report(value);
    }
}
