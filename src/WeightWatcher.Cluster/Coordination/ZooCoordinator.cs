using System.Diagnostics;
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
/// manifest. The job itself lives in a replicated register (DData), so when the singleton moves to
/// another node it reads the job back and resumes: the layers already stored are not analyzed again.
/// </summary>
public sealed class ZooCoordinator : ReceiveActor, IWithTimers
{
    /// <summary>The replicated register holding the current job.</summary>
    public static readonly LWWRegisterKey<ZooJobRecord> JobKey = new("ww-zoo-job");

    private readonly ZooNodeServices _services;
    private readonly IActorRef _region;
    /// <summary>Time the shard regions get to re-home a departed member's shards before its tasks are re-sent.</summary>
    private static readonly TimeSpan RegionSettle = TimeSpan.FromSeconds(5);

    private readonly ZooCoordinatorSettings _defaults;
    private ZooCoordinatorSettings _settings;
    // Serilog directly (structured events); Akka's own log is kept at warnings, see the hosting extensions.
    private readonly Serilog.ILogger _log = Serilog.Log.ForContext<ZooCoordinator>();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IActorRef _replicator;
    private readonly HashSet<string> _nodes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    private ZooJobSpec? _spec;
    private JobPhase _phase = JobPhase.Idle;
    private ZooPlan? _plan;
    private DispatchBook<AnalyzeLayer>? _book;
    private Dictionary<string, CachedLayer> _results = new(StringComparer.Ordinal);
    private HashSet<string> _cached = new(StringComparer.Ordinal);
    private Dictionary<string, string> _failed = new(StringComparer.Ordinal);
    private int _resent;
    private int _modelsPlanned;
    private int _modelsFound;
    private string? _message;
    private Stopwatch _clock = new();
    private DateTimeOffset _startedAt;
    private double _planningSeconds;
    private double _analysisSeconds;
    // False until a new job may hand out layers (enough workers are up); see ZooCoordinatorSettings.MinimumWorkers.
    private bool _dispatchOpen;

    /// <summary>Creates the coordinator.</summary>
    public ZooCoordinator(ZooNodeServices services, IActorRef region, ZooCoordinatorSettings settings)
    {
        _services = services;
        _region = region;
        _settings = _defaults = settings;
        _replicator = DistributedData.Get(Context.System).Replicator;

        Receive<SubmitJob>(Submit);
        Receive<GetJobStatus>(_ => Sender.Tell(Status()));
        Receive<GetSuccess>(g => g.Key.Equals(JobKey), g => Resume(g.Get(JobKey).Value));
        Receive<NotFound>(_ => { });
        Receive<GetFailure>(_ => _replicator.Tell(Dsl.Get(JobKey, ReadLocal.Instance)));
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => _log.Warning("Could not replicate the job record: {Failure}", f.ToString()));
        Receive<PlanReady>(OnPlanned);
        Receive<PlanProgress>(p =>
        {
            if (p.JobId == _spec?.JobId && _phase == JobPhase.Planning)
            {
                (_modelsPlanned, _modelsFound) = (p.Done, p.Total);
            }
        });
        Receive<JobFailed>(OnJobFailed);
        Receive<LayerAnalyzed>(OnAnalyzed);
        Receive<LayerFailed>(OnFailed);
        Receive<Tick>(_ => OnTick());
        Receive<ClusterEvent.MemberRemoved>(OnMemberRemoved);
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<ReportsWritten>(OnReportsWritten);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props of the coordinator.</summary>
    public static Props PropsFor(ZooNodeServices services, IActorRef region, ZooCoordinatorSettings settings) =>
        Props.Create(() => new ZooCoordinator(services, region, settings));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
        // A singleton that starts on a node may be taking over a job another node was running.
        _replicator.Tell(Dsl.Get(JobKey, new ReadMajority(TimeSpan.FromSeconds(5))));
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _stop.Cancel();
        _cluster.Unsubscribe(Self);
    }

    private bool Running => _phase is JobPhase.Planning or JobPhase.Analyzing or JobPhase.Reporting;

    private void Submit(SubmitJob submit)
    {
        if (Running && _spec?.JobId != submit.Spec.JobId)
        {
            Sender.Tell(Status() with { Message = $"job {_spec?.JobId} is running; {submit.Spec.JobId} was not started" });
            return;
        }
        if (!Running && !(_phase == JobPhase.Finished && _spec?.JobId == submit.Spec.JobId))
        {
            var record = new ZooJobRecord(submit.Spec, Finished: false);
            _replicator.Tell(Dsl.Update(JobKey, new LWWRegister<ZooJobRecord>(_cluster.SelfUniqueAddress, record), new WriteMajority(TimeSpan.FromSeconds(5)), r => r.WithValue(_cluster.SelfUniqueAddress, record)));
            Begin(submit.Spec, resumed: false);
        }
        Sender.Tell(Status());
    }

    private void Resume(ZooJobRecord record)
    {
        if (!record.Finished && !Running && _spec?.JobId != record.Spec.JobId)
        {
            _log.Information("Resuming job {JobId} on this node", record.Spec.JobId);
            Begin(record.Spec, resumed: true);
        }
    }

    private void Begin(ZooJobSpec spec, bool resumed)
    {
        _spec = spec;
        _settings = spec.Dispatch ?? _defaults;
        _dispatchOpen = resumed;
        _phase = JobPhase.Planning;
        _plan = null;
        _book = null;
        _results = new(StringComparer.Ordinal);
        _cached = new(StringComparer.Ordinal);
        _failed = new(StringComparer.Ordinal);
        _resent = 0;
        _modelsPlanned = _modelsFound = 0;
        _message = null;
        _clock = Stopwatch.StartNew();
        _startedAt = DateTimeOffset.UtcNow;
        _log.Information("Job {JobId}: planning models under '{Prefix}' of {Store}", spec.JobId, spec.ModelsPrefix, spec.Store);
        var self = Self;
        PlanAsync(spec, new SynchronousProgress(p => self.Tell(new PlanProgress(spec.JobId, p.Item1, p.Item2))))
            .PipeTo(Self, failure: e => new JobFailed(spec.JobId, $"planning failed: {e.GetBaseException().Message}"));
    }

    private async Task<PlanReady> PlanAsync(ZooJobSpec spec, IProgress<(int, int)> progress)
    {
        var plan = await new ZooPlanner(_services).PlanAsync(spec, progress, _stop.Token).ConfigureAwait(false);
        var keys = await _services.Cache(Location(spec)).ListKeysAsync(_stop.Token).ConfigureAwait(false);
        return new PlanReady(spec.JobId, plan, keys);
    }

    private void OnPlanned(PlanReady ready)
    {
        if (ready.JobId != _spec?.JobId)
        {
            return;
        }
        var spec = _spec;
        _plan = ready.Plan;
        _planningSeconds = _clock.Elapsed.TotalSeconds;
        _modelsFound = _modelsPlanned = ready.Plan.Models.Count;
        _book = new DispatchBook<AnalyzeLayer>(_settings.MaxInFlight, _settings.TaskTimeout);
        var location = Location(spec);
        foreach (var model in ready.Plan.Models)
        {
            foreach (var layer in model.Layers)
            {
                var task = new AnalyzeLayer(layer.Key, spec.JobId, location, model.Reference, model.Name, layer.LayerId, layer.Name, spec.Options, layer.Ranges);
                if (ready.CachedKeys.Contains(layer.Key))
                {
                    _book.AddDone(layer.Key, task);
                    _cached.Add(layer.Key);
                }
                else
                {
                    _book.Add(layer.Key, task);
                }
            }
        }
        _phase = JobPhase.Analyzing;
        _log.Information("Job {JobId}: {Models} models, {Layers} layers, {Cached} already in the store, {Failures} planning failures", spec.JobId, ready.Plan.Models.Count, _book.Total, _cached.Count, ready.Plan.Failures.Count);
        Pump();
    }

    private void Pump()
    {
        if (_book is null || _phase != JobPhase.Analyzing || !DispatchOpen())
        {
            return;
        }
        foreach (var task in _book.TakeSendable(DateTime.UtcNow))
        {
            _region.Tell(task, Self);
        }
        if (_book.AllDone)
        {
            StartReports();
        }
    }

    /// <summary>
    /// Whether layers may be handed out: at once for a resumed job, once enough workers are up for a new
    /// one (checked again on every tick). Waiting here rather than through Akka's min-nr-of-members keeps
    /// the first worker Up alone: with that setting, members joining together were moved Up by two
    /// transient leaders, the oldest changed among Up members, and the node that handed its singletons
    /// over stopped its singleton managers for good (seen as a job that never resumed after the real
    /// oldest was killed).
    /// </summary>
    private bool DispatchOpen()
    {
        if (_dispatchOpen)
        {
            return true;
        }
        int up = _cluster.State.Members.Count(m => m.Status == MemberStatus.Up && m.HasRole(Hosting.ZooClusterOptions.WorkerRole));
        if (up < _settings.MinimumWorkers)
        {
            string waiting = $"waiting for {_settings.MinimumWorkers} workers ({up} up)";
            if (_message != waiting)
            {
                _log.Information("Job {JobId}: {Waiting}", _spec?.JobId, waiting);
                _message = waiting;
            }
            return false;
        }
        _message = null;
        _dispatchOpen = true;
        return true;
    }

    private void OnAnalyzed(LayerAnalyzed reply)
    {
        if (reply.JobId != _spec?.JobId || _book is null || !_book.Complete(reply.LayerKey))
        {
            return;
        }
        _results[reply.LayerKey] = reply.Rows;
        _nodes.Add(reply.Node);
        Pump();
    }

    private void OnFailed(LayerFailed reply)
    {
        if (reply.JobId != _spec?.JobId || _book is null)
        {
            return;
        }
        _nodes.Add(reply.Node);
        if (!reply.Permanent && _book.Attempts(reply.LayerKey) < _settings.MaxAttempts && _book.Retry(reply.LayerKey))
        {
            _log.Warning("Retrying {Key}: {Reason}", reply.LayerKey, reply.Reason);
            _resent++;
        }
        else if (_book.Complete(reply.LayerKey))
        {
            _failed[reply.LayerKey] = reply.Permanent ? reply.Reason : $"{reply.Reason} (gave up after {_book.Attempts(reply.LayerKey)} attempts)";
        }
        Pump();
    }

    private void OnTick()
    {
        if (_book is null || _phase != JobPhase.Analyzing)
        {
            return;
        }
        foreach (var key in _book.Expired(DateTime.UtcNow))
        {
            if (_book.Attempts(key) >= _settings.MaxAttempts && !_book.IsFree(key))
            {
                _book.Complete(key);
                _failed[key] = $"no reply within {_settings.TaskTimeout.TotalSeconds:0} s, {_book.Attempts(key)} times";
            }
            else if (_book.Retry(key))
            {
                _resent++;
            }
        }
        Pump();
    }

    private void OnMemberRemoved(ClusterEvent.MemberRemoved removed)
    {
        if (_book is null || _phase != JobPhase.Analyzing)
        {
            return;
        }
        // Sharding delivers at most once: whatever the departed member held is lost. Which tasks it held is
        // not known here, so everything in flight goes again (results are idempotent by key) once the
        // regions have moved its shards.
        int count = _book.Hurry(DateTime.UtcNow + RegionSettle);
        _log.Warning("Member {Member} left: re-sending the {Count} tasks in flight in {Seconds} s", removed.Member.Address.ToString(), count, RegionSettle.TotalSeconds);
    }

    private void StartReports()
    {
        var spec = _spec!;
        _phase = JobPhase.Reporting;
        _analysisSeconds = _clock.Elapsed.TotalSeconds - _planningSeconds;
        var outcome = new AnalysisOutcome(_results, _cached, _failed, _resent, _nodes.Order(StringComparer.Ordinal).ToList());
        ZooReporting.WriteAsync(_services, spec, _plan!, outcome, _startedAt, (_planningSeconds, _analysisSeconds), _stop.Token)
            .PipeTo(Self, success: m => new ReportsWritten(spec.JobId, m), failure: e =>
            {
                _log.Error(e.GetBaseException(), "Writing the reports of {JobId} failed", spec.JobId);
                return new JobFailed(spec.JobId, $"writing reports failed: {e.GetBaseException().Message}");
            });
    }

    private void OnReportsWritten(ReportsWritten written)
    {
        if (written.JobId != _spec?.JobId)
        {
            return;
        }
        _phase = JobPhase.Finished;
        var record = new ZooJobRecord(_spec, Finished: true);
        _replicator.Tell(Dsl.Update(JobKey, new LWWRegister<ZooJobRecord>(_cluster.SelfUniqueAddress, record), new WriteMajority(TimeSpan.FromSeconds(5)), r => r.WithValue(_cluster.SelfUniqueAddress, record)));
        var c = written.Manifest.Counts;
        _log.Information("Job {JobId} finished in {Seconds:0.0} s: {Models} models, {Layers} layers ({Analyzed} analyzed, {Cached} cached, {Failed} failed)", _spec.JobId, written.Manifest.Timings.Total, c.Models, c.Layers, c.LayersAnalyzed, c.LayersCached, c.LayersFailed);
    }

    private void OnJobFailed(JobFailed failed)
    {
        if (failed.JobId != _spec?.JobId)
        {
            return;
        }
        _phase = JobPhase.Failed;
        _message = failed.Reason;
        _log.Error("Job {JobId} failed: {Reason}", failed.JobId, failed.Reason);
    }

    private JobStatus Status()
    {
        if (_spec is null)
        {
            return JobStatus.Idle;
        }
        var layout = new ResultLayout(_spec.ResultsPrefix);
        string location = $"{_spec.ResultStore ?? _spec.Store} :: {layout.Prefix}";
        int modelsDone = _plan?.Models.Count(m => m.Layers.All(l => _book?.IsDone(l.Key) ?? false)) ?? 0;
        return new JobStatus(
            _spec.JobId, _phase, _plan?.Models.Count ?? _modelsFound, _phase == JobPhase.Planning ? _modelsPlanned : modelsDone,
            _book?.Total ?? 0, _book?.Done ?? 0, _cached.Count, _failed.Count, _resent, _clock.Elapsed.TotalSeconds, location, _message);
    }

    private static JobLocation Location(ZooJobSpec spec) => new(spec.Store, spec.ResultStore, spec.ResultsPrefix);

    private sealed record PlanReady(string JobId, ZooPlan Plan, HashSet<string> CachedKeys);

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
