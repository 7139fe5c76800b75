using System.Collections.Immutable;
using Serilog.Events;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Coordination;

/// <summary>
/// The state of the coordinator's current job, as an immutable value with side-effect-free transitions:
/// each message the coordinator handles becomes one method that returns the next state and the effects to
/// carry out (<see cref="JobStep"/>). Time and the number of workers up are inputs, so every path —
/// resume, re-send after a departed member, duplicate and late replies, timeouts, waiting for workers —
/// can be driven and checked without actors.
/// </summary>
public sealed record JobRun
{
    private static readonly ImmutableDictionary<string, CachedLayer> NoResults = ImmutableDictionary.Create<string, CachedLayer>(StringComparer.Ordinal);
    private static readonly ImmutableHashSet<string> NoKeys = ImmutableHashSet.Create<string>(StringComparer.Ordinal);
    private static readonly ImmutableDictionary<string, string> NoFailures = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);

    private JobRun(ZooCoordinatorSettings defaults)
    {
        Defaults = defaults;
        Settings = defaults;
    }

    /// <summary>A coordinator with no job, dispatching with <paramref name="defaults"/> unless a job says otherwise.</summary>
    public static JobRun Idle(ZooCoordinatorSettings defaults) => new(defaults);

    /// <summary>The hosting node's dispatch settings.</summary>
    public ZooCoordinatorSettings Defaults { get; }

    /// <summary>The dispatch settings of the current job.</summary>
    public ZooCoordinatorSettings Settings { get; private init; }

    /// <summary>The current (or last) job; null before the first.</summary>
    public ZooJobSpec? Spec { get; private init; }

    /// <summary>What the job is doing.</summary>
    public JobPhase Phase { get; private init; } = JobPhase.Idle;

    /// <summary>The plan, once made.</summary>
    public ZooPlan? Plan { get; private init; }

    /// <summary>The tasks, once planned.</summary>
    public DispatchBook<AnalyzeLayer>? Book { get; private init; }

    /// <summary>Results received this run, by layer key.</summary>
    public ImmutableDictionary<string, CachedLayer> Results { get; private init; } = NoResults;

    /// <summary>Layers whose result was already stored when the job was planned.</summary>
    public ImmutableHashSet<string> Cached { get; private init; } = NoKeys;

    /// <summary>Layers that failed for good, with the reason.</summary>
    public ImmutableDictionary<string, string> Failed { get; private init; } = NoFailures;

    /// <summary>Nodes that answered.</summary>
    public ImmutableHashSet<string> Nodes { get; private init; } = NoKeys;

    /// <summary>Tasks sent again after a timeout, a transient failure or a departed member.</summary>
    public int Resent { get; private init; }

    /// <summary>
    /// Blob requests of this job tried again after a transient failure, as far as this coordinator knows: its
    /// planning's and those its workers sent with their replies (every reply of the job, a duplicate's too).
    /// A coordinator that resumes a job starts again from zero.
    /// </summary>
    public int StoreRetries { get; private init; }

    /// <summary>Models planned so far (during planning).</summary>
    public int ModelsPlanned { get; private init; }

    /// <summary>Models found so far (during planning).</summary>
    public int ModelsFound { get; private init; }

    /// <summary>A failure reason or a short note (e.g. waiting for workers).</summary>
    public string? Message { get; private init; }

    /// <summary>When the job (re)started on this coordinator.</summary>
    public DateTimeOffset StartedAt { get; private init; }

    /// <summary>Seconds spent planning.</summary>
    public double PlanningSeconds { get; private init; }

    /// <summary>Seconds spent analyzing.</summary>
    public double AnalysisSeconds { get; private init; }

    /// <summary>True once layers may be handed out: at once for a resumed job, once enough workers are up for a new one.</summary>
    public bool DispatchOpen { get; private init; }

    /// <summary>True while a job is planning, analyzing or reporting.</summary>
    public bool Running => Phase is JobPhase.Planning or JobPhase.Analyzing or JobPhase.Reporting;

    /// <summary>
    /// A submitted job: started (and replicated) unless another job is running or it is the job that just
    /// finished. A submission of the running job's work (<see cref="ZooJobSpec.WorkKey"/>: its submitter was
    /// killed and the job re-submitted) is not started: the reply, the running job's status, tells the client
    /// to follow that job. <c>Refusal</c> says why a different running job kept it from starting.
    /// </summary>
    public (JobStep Step, string? Refusal) Submit(ZooJobSpec spec, DateTimeOffset now)
    {
        if (Running && Spec?.JobId != spec.JobId)
        {
            return Spec!.WorkKey == spec.WorkKey
                ? (new JobStep(this, [new LogNote(LogEventLevel.Information, "Job {Submitted} has the work of the running job {JobId}: its submitter follows {JobId}", spec.JobId, Spec.JobId, Spec.JobId)]), null)
                : (JobStep.Unchanged(this), $"job {Spec?.JobId} is running; {spec.JobId} was not started");
        }
        if (Running || (Phase == JobPhase.Finished && Spec?.JobId == spec.JobId))
        {
            return (JobStep.Unchanged(this), null);
        }
        var step = Begin(spec, resumed: false, now);
        return (step with { Effects = [new ReplicateJob(new ZooJobRecord(spec, Finished: false)), .. step.Effects] }, null);
    }

    /// <summary>
    /// The replicated job register read back (this node took the coordinator over): resume an unfinished job;
    /// a finished one is remembered as the last job, so a client attaching later finds it.
    /// </summary>
    public JobStep Resume(ZooJobRecord record, DateTimeOffset now)
    {
        if (Running || Spec?.JobId == record.Spec.JobId)
        {
            return JobStep.Unchanged(this);
        }
        if (record.Finished)
        {
            return Spec is null ? new(this with { Spec = record.Spec, Phase = JobPhase.Finished, StartedAt = now }, []) : JobStep.Unchanged(this);
        }
        var step = Begin(record.Spec, resumed: true, now);
        return step with { Effects = [new LogNote(LogEventLevel.Information, "Resuming job {JobId} on this node", record.Spec.JobId), .. step.Effects] };
    }

    /// <summary>Planning progress.</summary>
    public JobStep PlanProgressed(string jobId, int done, int total) =>
        IsCurrent(jobId) && Phase == JobPhase.Planning ? new(this with { ModelsPlanned = done, ModelsFound = total }, []) : JobStep.Unchanged(this);

    /// <summary>The plan is made: every layer becomes a task (done already when its result is stored), and sending starts.</summary>
    /// <param name="jobId">The job planned.</param>
    /// <param name="plan">Its plan.</param>
    /// <param name="cachedKeys">Layers whose result is stored.</param>
    /// <param name="now">The time.</param>
    /// <param name="workersUp">Worker members up.</param>
    /// <param name="storeRetries">Blob requests the planning tried again.</param>
    public JobStep Planned(string jobId, ZooPlan plan, IReadOnlySet<string> cachedKeys, DateTimeOffset now, int workersUp, int storeRetries = 0)
    {
        if (!IsCurrent(jobId) || Phase != JobPhase.Planning)
        {
            return JobStep.Unchanged(this);
        }
        var spec = Spec!;
        var book = new DispatchBook<AnalyzeLayer>(Settings.MaxInFlight, Settings.TaskTimeout);
        var cached = NoKeys.ToBuilder();
        var location = spec.Location;
        foreach (var model in plan.Models)
        {
            foreach (var layer in model.Layers)
            {
                var task = new AnalyzeLayer(layer.Key, spec.JobId, location, model.Reference, model.Name, layer.LayerId, layer.Name, spec.Options, layer.Ranges);
                if (cachedKeys.Contains(layer.Key))
                {
                    book = book.AddDone(layer.Key, task);
                    cached.Add(layer.Key);
                }
                else
                {
                    book = book.Add(layer.Key, task);
                }
            }
        }
        var next = this with
        {
            Plan = plan,
            Book = book,
            Cached = cached.ToImmutable(),
            Phase = JobPhase.Analyzing,
            PlanningSeconds = (now - StartedAt).TotalSeconds,
            ModelsFound = plan.Models.Count,
            ModelsPlanned = plan.Models.Count,
            StoreRetries = StoreRetries + storeRetries,
        };
        var note = new LogNote(
            LogEventLevel.Information, "Job {JobId}: {Models} models, {Layers} layers, {Cached} already in the store, {Failures} planning failures",
            spec.JobId, plan.Models.Count, book.Total, cached.Count, plan.Failures.Count);
        return next.Pump(now, workersUp, [note]);
    }

    /// <summary>
    /// A worker's result: counted once (a duplicate or a reply of another job changes nothing but the count of
    /// blob retries: a duplicate's were made too).
    /// </summary>
    public JobStep Analyzed(LayerAnalyzed reply, DateTimeOffset now, int workersUp)
    {
        if (!IsCurrent(reply.JobId) || Book is null)
        {
            return JobStep.Unchanged(this);
        }
        var counted = reply.StoreRetries == 0 ? this : this with { StoreRetries = StoreRetries + reply.StoreRetries };
        var (book, completed) = Book.Complete(reply.LayerKey);
        if (!completed)
        {
            return JobStep.Unchanged(counted);
        }
        return (counted with { Book = book, Results = Results.SetItem(reply.LayerKey, reply.Rows), Nodes = Nodes.Add(reply.Node) }).Pump(now, workersUp, []);
    }

    /// <summary>
    /// A worker's failure: a transient one is retried up to the attempt limit, a permanent one is recorded. A
    /// store that did not serve the task within its retry budget fails the job: every other task would wait
    /// as long and fail alike, and an unreachable store is the job's failure, not its layers' (exit 2, with the
    /// previous reports left as they were).
    /// </summary>
    public JobStep LayerFailed(LayerFailed reply, DateTimeOffset now, int workersUp)
    {
        // Only while analyzing: a failed job sends nothing again.
        if (!IsCurrent(reply.JobId) || Book is null || Phase != JobPhase.Analyzing)
        {
            return JobStep.Unchanged(this);
        }
        var next = this with { Nodes = Nodes.Add(reply.Node), StoreRetries = StoreRetries + reply.StoreRetries };
        if (reply.StoreUnavailable)
        {
            return next.JobFailed(reply.JobId, $"the store did not answer within its retry budget (--store-timeout): {reply.Reason}");
        }
        var effects = new List<JobEffect>();
        if (!reply.Permanent && Book.Attempts(reply.LayerKey) < Settings.MaxAttempts && Book.Retry(reply.LayerKey) is (var retried, true))
        {
            next = next with { Book = retried, Resent = Resent + 1 };
            effects.Add(new LogNote(LogEventLevel.Warning, "Retrying {Key}: {Reason}", reply.LayerKey, reply.Reason));
        }
        else if (Book.Complete(reply.LayerKey) is (var completed, true))
        {
            string reason = reply.Permanent ? reply.Reason : $"{reply.Reason} (gave up after {Book.Attempts(reply.LayerKey)} attempts)";
            next = next with { Book = completed, Failed = Failed.SetItem(reply.LayerKey, reason) };
        }
        return next.Pump(now, workersUp, effects);
    }

    /// <summary>The periodic tick: tasks past their deadline are sent again, or recorded as failed after the last attempt.</summary>
    public JobStep Tick(DateTimeOffset now, int workersUp)
    {
        if (Book is null || Phase != JobPhase.Analyzing)
        {
            return JobStep.Unchanged(this);
        }
        var book = Book;
        var failed = Failed;
        int resent = Resent;
        // Each retry goes to the front of the queue: last key first keeps the re-sends in key order.
        foreach (var key in book.Expired(now.UtcDateTime).Reverse())
        {
            if (book.Attempts(key) >= Settings.MaxAttempts && !book.IsFree(key))
            {
                book = book.Complete(key).Book;
                failed = failed.SetItem(key, $"no reply within {Settings.TaskTimeout.TotalSeconds:0} s, {book.Attempts(key)} times");
            }
            else if (book.Retry(key) is (var retried, true))
            {
                book = retried;
                resent++;
            }
        }
        return (this with { Book = book, Failed = failed, Resent = resent }).Pump(now, workersUp, []);
    }

    /// <summary>
    /// A member left the cluster. Sharding delivers at most once, so whatever it held is lost; which tasks
    /// it held is not known here, so everything in flight goes again (results are idempotent by key) once
    /// the regions have moved its shards (<see cref="ZooCoordinatorSettings.Settle"/>).
    /// </summary>
    public JobStep MemberLeft(string member, DateTimeOffset now)
    {
        if (Book is null || Phase != JobPhase.Analyzing)
        {
            return JobStep.Unchanged(this);
        }
        var (book, inFlight) = Book.Hurry((now + Settings.Settle).UtcDateTime);
        return new(this with { Book = book }, [new LogNote(LogEventLevel.Warning, "Member {Member} left: re-sending the {Count} tasks in flight in {Seconds} s", member, inFlight, Settings.Settle.TotalSeconds)]);
    }

    /// <summary>The reports and manifest are written: the job is finished (and replicated as such).</summary>
    public JobStep ReportsWritten(string jobId, JobManifest manifest)
    {
        if (!IsCurrent(jobId) || Phase != JobPhase.Reporting)
        {
            return JobStep.Unchanged(this);
        }
        var c = manifest.Counts;
        return new(this with { Phase = JobPhase.Finished },
        [
            new ReplicateJob(new ZooJobRecord(Spec!, Finished: true)),
            new LogNote(LogEventLevel.Information, "Job {JobId} finished in {Seconds:0.0} s: {Models} models, {Layers} layers ({Analyzed} analyzed, {Cached} cached, {Failed} failed), {Resent} tasks sent again, {StoreRetries} blob requests retried",
                jobId, manifest.Timings.Total, c.Models, c.Layers, c.LayersAnalyzed, c.LayersCached, c.LayersFailed, c.Resent, c.StoreRetries),
        ]);
    }

    /// <summary>Planning or reporting failed: the job cannot go on.</summary>
    public JobStep JobFailed(string jobId, string reason) =>
        !IsCurrent(jobId) || !Running
            ? JobStep.Unchanged(this)
            : new(this with { Phase = JobPhase.Failed, Message = reason }, [new LogNote(LogEventLevel.Error, "Job {JobId} failed: {Reason}", jobId, reason)]);

    /// <summary>The job's progress as of <paramref name="now"/>.</summary>
    public JobStatus Status(DateTimeOffset now)
    {
        if (Spec is null)
        {
            return JobStatus.Idle;
        }
        var layout = new ResultLayout(Spec.ResultsPrefix);
        string location = $"{StoreFactory.Redact(Spec.ResultStore ?? Spec.Store)} :: {layout.Prefix}";
        int modelsDone = Plan?.Models.Count(m => m.Layers.All(l => Book?.IsDone(l.Key) ?? false)) ?? 0;
        return new JobStatus(
            Spec.JobId, Phase, Plan?.Models.Count ?? ModelsFound, Phase == JobPhase.Planning ? ModelsPlanned : modelsDone,
            Book?.Total ?? 0, Book?.Done ?? 0, Cached.Count, Failed.Count, Resent, (now - StartedAt).TotalSeconds, location, Message, Spec.WorkKey);
    }

    private bool IsCurrent(string jobId) => Spec is not null && jobId == Spec.JobId;

    private JobStep Begin(ZooJobSpec spec, bool resumed, DateTimeOffset now) => new(
        Idle(Defaults) with
        {
            Spec = spec,
            Settings = spec.Dispatch ?? Defaults,
            DispatchOpen = resumed,
            Phase = JobPhase.Planning,
            StartedAt = now,
        },
        [
            new LogNote(LogEventLevel.Information, "Job {JobId}: planning models under '{Prefix}' of {Store}", spec.JobId, spec.ModelsPrefix, StoreFactory.Redact(spec.Store)),
            new StartPlanning(spec),
        ]);

    /// <summary>
    /// Sends what the in-flight bound allows, once dispatch is open, and starts the reports when every task
    /// is done. A new job opens dispatch when <see cref="ZooCoordinatorSettings.MinimumWorkers"/> workers are
    /// up; the coordinator waits itself rather than through Akka's min-nr-of-members, which kept the first
    /// node Joining: nodes joining together were then moved Up by two transient leaders, the oldest
    /// changed among Up members, and a node that had handed its singletons over never hosted them again.
    /// </summary>
    private JobStep Pump(DateTimeOffset now, int workersUp, IReadOnlyList<JobEffect> effects)
    {
        if (Book is null || Phase != JobPhase.Analyzing)
        {
            return new(this, effects);
        }
        var list = effects.ToList();
        var run = this;
        if (!DispatchOpen)
        {
            if (workersUp < Settings.MinimumWorkers)
            {
                string waiting = $"waiting for {Settings.MinimumWorkers} workers ({workersUp} up)";
                if (Message != waiting)
                {
                    list.Add(new LogNote(LogEventLevel.Information, "Job {JobId}: {Waiting}", Spec!.JobId, waiting));
                }
                return new(this with { Message = waiting }, list);
            }
            run = run with { DispatchOpen = true, Message = null };
        }
        var (book, send) = run.Book!.TakeSendable(now.UtcDateTime);
        run = run with { Book = book };
        if (send.Count > 0)
        {
            list.Add(new SendTasks(send));
        }
        if (book.AllDone)
        {
            run = run with { Phase = JobPhase.Reporting, AnalysisSeconds = (now - StartedAt).TotalSeconds - PlanningSeconds };
            var outcome = new AnalysisOutcome(run.Results, run.Cached, run.Failed, run.Resent, run.Nodes.Order(StringComparer.Ordinal).ToList(), run.StoreRetries);
            list.Add(new WriteReports(run.Spec!, run.Plan!, outcome, run.StartedAt, run.PlanningSeconds, run.AnalysisSeconds));
        }
        return new(run, list);
    }
}
