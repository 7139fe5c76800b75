using WeightWatcher.Cluster.Coordination;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// The coordinator's decisions without actors: <see cref="JobRun"/> transitions from message, time and
/// workers up to the next state and the effects, for every path the cluster tests reach only by killing
/// processes (resume, departed members, duplicate and late replies, timeouts, waiting for workers).
/// </summary>
public sealed class JobRunTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 2, 0, 0, TimeSpan.Zero);
    private static readonly ZooCoordinatorSettings Defaults = new(MaxInFlight: 2, TaskTimeout: TimeSpan.FromSeconds(60), MaxAttempts: 3, RegionSettle: TimeSpan.FromSeconds(5));

    private static ZooJobSpec Spec(string id = "job-1", ZooCoordinatorSettings? dispatch = null, string models = "models/") =>
        new(id, "/zoo", models, null, "results/", null, new AnalysisOptions(), T0, dispatch);

    /// <summary>Two models of two layers each: keys a0, a1, b0, b1.</summary>
    private static ZooPlan Plan() => new(
        [Model("a"), Model("b")], [], [], null, null, 0);

    private static PlannedModel Model(string name) => new(
        name, new ModelReference(name + ".safetensors", [new StoredObject(name + ".safetensors", 100, "v1")]), "hash-" + name,
        new Dictionary<string, string> { [name + ".safetensors"] = "sha" }, "safetensors", null,
        [new PlannedLayer(name + "0", 1, "fc1"), new PlannedLayer(name + "1", 2, "fc2")]);

    private static CachedLayer Rows() => new([new Dictionary<string, object?> { ["alpha"] = 3.0 }], null);

    private static LayerAnalyzed Ok(string key, string job = "job-1", string node = "node-1") => new(key, job, node, Rows(), 0.1);

    private static IReadOnlyList<string> Sent(JobStep step) =>
        step.Effects.OfType<SendTasks>().SelectMany(s => s.Tasks).Select(t => t.LayerKey).ToList();

    /// <summary>A submitted job, planned with <paramref name="cached"/> already stored and <paramref name="workersUp"/> workers.</summary>
    private static JobStep Planned(ZooCoordinatorSettings? dispatch = null, int workersUp = 1, params string[] cached)
    {
        var run = JobRun.Idle(Defaults).Submit(Spec(dispatch: dispatch), T0).Step.Next;
        return run.Planned("job-1", Plan(), cached.ToHashSet(), T0.AddSeconds(2), workersUp);
    }

    [Fact]
    public void A_submitted_job_is_replicated_then_planned()
    {
        var (step, refusal) = JobRun.Idle(Defaults).Submit(Spec(), T0);
        Assert.Null(refusal);
        Assert.Equal(JobPhase.Planning, step.Next.Phase);
        var replicate = Assert.IsType<ReplicateJob>(step.Effects[0]);
        Assert.False(replicate.Record.Finished);
        Assert.Equal("job-1", Assert.Single(step.Effects.OfType<StartPlanning>()).Spec.JobId);
        Assert.Equal(JobPhase.Planning, step.Next.Status(T0.AddSeconds(1)).Phase);
        Assert.Equal(1, step.Next.Status(T0.AddSeconds(1)).ElapsedSeconds, 9);
    }

    [Fact]
    public void Another_job_is_refused_while_one_runs_and_a_finished_job_is_not_restarted()
    {
        var running = JobRun.Idle(Defaults).Submit(Spec(), T0).Step.Next;
        var (step, refusal) = running.Submit(Spec("job-2", models: "other/"), T0);
        Assert.Equal("job job-1 is running; job-2 was not started", refusal);
        Assert.Same(running, step.Next);
        Assert.Empty(step.Effects);

        var finished = Finish(Planned().Next);
        Assert.Equal(JobPhase.Finished, finished.Phase);
        Assert.Empty(finished.Submit(Spec(), T0).Step.Effects);
        Assert.Equal(JobPhase.Planning, finished.Submit(Spec("job-2"), T0).Step.Next.Phase);
    }

    [Fact]
    public void A_resubmission_of_the_running_work_follows_the_running_job()
    {
        var running = JobRun.Idle(Defaults).Submit(Spec(), T0).Step.Next;
        // The submitter was killed; the same zoo is submitted again as a new job, later, with other dispatch settings.
        var again = Spec("job-2", Defaults with { MaxInFlight = 7 }) with { SubmittedAt = T0.AddHours(1) };
        Assert.Equal(running.Spec!.WorkKey, again.WorkKey);
        var (step, refusal) = running.Submit(again, T0.AddSeconds(3));
        Assert.Null(refusal);
        Assert.Same(running, step.Next);
        Assert.Empty(step.Effects.OfType<StartPlanning>());
        Assert.Empty(step.Effects.OfType<ReplicateJob>());
        var status = step.Next.Status(T0.AddSeconds(3));
        Assert.Equal("job-1", status.JobId);
        Assert.Equal(again.WorkKey, status.WorkKey);
        // Other work is other keys: another prefix, other options, another store; a SAS token is not part of the work.
        Assert.NotEqual(again.WorkKey, Spec(models: "other/").WorkKey);
        Assert.NotEqual(again.WorkKey, (Spec() with { Options = new AnalysisOptions { MinEvals = 3 } }).WorkKey);
        Assert.NotEqual(again.WorkKey, (Spec() with { Store = "/zoo2" }).WorkKey);
        var sas = Spec() with { Store = "https://acct.blob.core.windows.net/zoo?sv=2024-01-01&sig=AAAA" };
        Assert.Equal(sas.WorkKey, (sas with { Store = "https://acct.blob.core.windows.net/zoo?sv=2024-01-01&sig=BBBB" }).WorkKey);
    }

    [Fact]
    public void A_coordinator_taking_over_after_the_end_remembers_the_finished_job_for_an_attaching_client()
    {
        var taken = JobRun.Idle(Defaults).Resume(new ZooJobRecord(Spec(), Finished: true), T0);
        Assert.Empty(taken.Effects);
        Assert.Equal(JobPhase.Finished, taken.Next.Phase);
        Assert.Equal("job-1", taken.Next.Status(T0).JobId);
        Assert.Equal(Spec().WorkKey, taken.Next.Status(T0).WorkKey);
        // It is not run again, and a new job still starts.
        Assert.Empty(taken.Next.Submit(Spec(), T0).Step.Effects);
        Assert.Equal(JobPhase.Planning, taken.Next.Submit(Spec("job-2"), T0).Step.Next.Phase);
    }

    [Fact]
    public void Planning_sends_up_to_the_bound_and_skips_stored_layers()
    {
        var step = Planned(cached: "a0");
        Assert.Equal(JobPhase.Analyzing, step.Next.Phase);
        Assert.Equal(["a1", "b0"], Sent(step));
        var status = step.Next.Status(T0.AddSeconds(3));
        Assert.Equal((2, 4, 1, 1), (status.ModelsTotal, status.LayersTotal, status.LayersDone, status.LayersCached));
        Assert.Equal(2, step.Next.PlanningSeconds, 9);
    }

    [Fact]
    public void A_plan_with_every_layer_stored_goes_straight_to_the_reports()
    {
        var step = Planned(cached: ["a0", "a1", "b0", "b1"]);
        Assert.Equal(JobPhase.Reporting, step.Next.Phase);
        Assert.Empty(Sent(step));
        var reports = Assert.Single(step.Effects.OfType<WriteReports>());
        Assert.Equal(4, reports.Outcome.Cached.Count);
        Assert.Empty(reports.Outcome.Results);
    }

    [Fact]
    public void A_new_job_waits_for_its_minimum_of_workers_then_dispatches()
    {
        var dispatch = Defaults with { MinimumWorkers = 2 };
        var step = Planned(dispatch, workersUp: 1);
        Assert.Empty(Sent(step));
        Assert.Equal("waiting for 2 workers (1 up)", step.Next.Status(T0).Message);
        var tick = step.Next.Tick(T0.AddSeconds(3), workersUp: 1);
        Assert.Empty(Sent(tick));
        Assert.Empty(tick.Effects.OfType<LogNote>()); // the wait is logged once, not every tick
        tick = tick.Next.Tick(T0.AddSeconds(4), workersUp: 2);
        Assert.Equal(["a0", "a1"], Sent(tick));
        Assert.Null(tick.Next.Status(T0).Message);
    }

    [Fact]
    public void A_resumed_job_dispatches_at_once_with_the_workers_left_and_is_not_replicated_again()
    {
        var record = new ZooJobRecord(Spec(dispatch: Defaults with { MinimumWorkers = 3 }), Finished: false);
        var resumed = JobRun.Idle(Defaults).Resume(record, T0);
        Assert.Empty(resumed.Effects.OfType<ReplicateJob>());
        Assert.Single(resumed.Effects.OfType<StartPlanning>());
        var planned = resumed.Next.Planned("job-1", Plan(), new HashSet<string> { "a0", "a1" }, T0.AddSeconds(1), workersUp: 1);
        Assert.Equal(["b0", "b1"], Sent(planned));
        Assert.Empty(JobRun.Idle(Defaults).Resume(record with { Finished = true }, T0).Effects);
        Assert.Empty(resumed.Next.Resume(record, T0).Effects); // already running it
    }

    [Fact]
    public void Duplicate_replies_count_once_and_replies_of_another_job_change_nothing()
    {
        var run = Planned().Next;
        var first = run.Analyzed(Ok("a0"), T0.AddSeconds(3), 1);
        Assert.Equal(["b0"], Sent(first));
        var duplicate = first.Next.Analyzed(Ok("a0", node: "node-2"), T0.AddSeconds(4), 1);
        Assert.Same(first.Next, duplicate.Next);
        Assert.Empty(duplicate.Effects);
        var stale = first.Next.Analyzed(Ok("a1", job: "job-0"), T0.AddSeconds(4), 1);
        Assert.Same(first.Next, stale.Next);
        Assert.Equal(1, first.Next.Status(T0).LayersDone);
    }

    [Fact]
    public void Transient_failures_are_retried_up_to_the_limit_and_permanent_ones_recorded()
    {
        var run = Planned().Next;
        var step = run.LayerFailed(new LayerFailed("a0", "job-1", "n", "storage: timeout", Permanent: false), T0, 1);
        Assert.Equal(["a0"], Sent(step));
        Assert.Equal(1, step.Next.Resent);
        step = step.Next.LayerFailed(new LayerFailed("a0", "job-1", "n", "storage: timeout", Permanent: false), T0, 1);
        Assert.Equal(["a0"], Sent(step));
        step = step.Next.LayerFailed(new LayerFailed("a0", "job-1", "n", "storage: timeout", Permanent: false), T0, 1);
        Assert.Equal("storage: timeout (gave up after 3 attempts)", step.Next.Failed["a0"]);
        step = step.Next.LayerFailed(new LayerFailed("a1", "job-1", "n", "a: layer 2: NaN weights", Permanent: true), T0, 1);
        Assert.Equal("a: layer 2: NaN weights", step.Next.Failed["a1"]);
        Assert.Equal(2, step.Next.Status(T0).LayersFailed);
    }

    [Fact]
    public void Blob_retries_of_the_planning_and_of_every_reply_add_up_for_the_reports_a_duplicate_included()
    {
        var run = JobRun.Idle(Defaults).Submit(Spec(), T0).Step.Next;
        var step = run.Planned("job-1", Plan(), new HashSet<string> { "b1" }, T0.AddSeconds(2), workersUp: 1, storeRetries: 2);
        step = step.Next.Analyzed(Ok("a0") with { StoreRetries = 5 }, T0.AddSeconds(3), 1);
        // The same layer again, from a run after a re-send: its requests were made (and retried) too.
        step = step.Next.Analyzed(Ok("a0", node: "node-2") with { StoreRetries = 1 }, T0.AddSeconds(3), 1);
        step = step.Next.LayerFailed(new LayerFailed("a1", "job-1", "n", "storage: HTTP 500", Permanent: false, StoreRetries: 4), T0.AddSeconds(4), 1);
        step = step.Next.Analyzed(Ok("a1") with { StoreRetries = 0 }, T0.AddSeconds(5), 1);
        step = step.Next.Analyzed(Ok("b0", job: "job-0") with { StoreRetries = 100 }, T0.AddSeconds(5), 1); // another job's
        Assert.Equal(12, step.Next.StoreRetries);
        step = step.Next.Analyzed(Ok("b0") with { StoreRetries = 3 }, T0.AddSeconds(6), 1);
        Assert.Equal(15, Assert.Single(step.Effects.OfType<WriteReports>()).Outcome.StoreRetries);
    }

    [Fact]
    public void A_store_that_did_not_answer_a_task_within_its_budget_fails_the_job_at_once()
    {
        var run = Planned().Next;
        string reason = "a: layer 1 'fc1': storage: az://zoo: models/a.safetensors: cannot be read: no answer from the blob service after 12 tries (Connection refused (127.0.0.1:10000))";
        var step = run.LayerFailed(new LayerFailed("a0", "job-1", "n", reason, Permanent: false, StoreUnavailable: true), T0.AddSeconds(40), 1);
        Assert.Equal(JobPhase.Failed, step.Next.Phase);
        Assert.Empty(Sent(step)); // not sent again: it would wait the whole budget once more
        Assert.Equal($"the store did not answer within its retry budget (--store-timeout): {reason}", step.Next.Status(T0).Message);
        Assert.Contains(step.Effects.OfType<LogNote>(), n => n.Level == Serilog.Events.LogEventLevel.Error);
        // A failure of an unavailable store after the job failed (another task's) changes nothing more.
        Assert.Empty(step.Next.LayerFailed(new LayerFailed("a1", "job-1", "n", reason, Permanent: false, StoreUnavailable: true), T0.AddSeconds(41), 1).Effects);
    }

    [Fact]
    public void Tasks_without_a_reply_are_sent_again_after_their_deadline_then_given_up()
    {
        var run = Planned().Next;
        Assert.Empty(Sent(run.Tick(T0.AddSeconds(61), 1))); // sent at T0+2 s: not yet due
        var step = run.Tick(T0.AddSeconds(62), 1);
        Assert.Equal(["a0", "a1"], Sent(step));
        step = step.Next.Tick(T0.AddSeconds(122), 1);
        step = step.Next.Tick(T0.AddSeconds(182), 1);
        Assert.Equal(["b0", "b1"], Sent(step)); // the third deadline passed: a0 and a1 failed, the rest goes
        Assert.Equal("no reply within 60 s, 3 times", step.Next.Failed["a0"]);
        Assert.Equal(4, step.Next.Resent);
    }

    [Fact]
    public void After_a_member_leaves_the_tasks_in_flight_go_again_once_the_regions_settled_without_costing_an_attempt()
    {
        var run = Planned().Next;
        var left = run.MemberLeft("akka.tcp://weightwatcher@127.0.0.1:4054", T0.AddSeconds(10));
        Assert.Contains(left.Effects.OfType<LogNote>(), n => n.Level == Serilog.Events.LogEventLevel.Warning);
        Assert.Empty(Sent(left.Next.Tick(T0.AddSeconds(14), 1)));
        var step = left.Next.Tick(T0.AddSeconds(15), 1);
        Assert.Equal(["a0", "a1"], Sent(step));
        Assert.Equal(1, step.Next.Book!.Attempts("a0"));
    }

    [Fact]
    public void The_last_reply_starts_the_reports_and_their_end_finishes_and_replicates_the_job()
    {
        var run = Planned(cached: "b1").Next;
        var step = run.Analyzed(Ok("a0", node: "node-2"), T0.AddSeconds(3), 1);
        step = step.Next.Analyzed(Ok("a1", node: "node-1"), T0.AddSeconds(4), 1);
        step = step.Next.LayerFailed(new LayerFailed("b0", "job-1", "node-1", "bad", Permanent: true), T0.AddSeconds(5), 1);
        Assert.Equal(JobPhase.Reporting, step.Next.Phase);
        var outcome = Assert.Single(step.Effects.OfType<WriteReports>()).Outcome;
        Assert.Equal(["a0", "a1"], outcome.Results.Keys.Order());
        Assert.Equal(["b1"], outcome.Cached);
        Assert.Equal("bad", outcome.Failed["b0"]);
        Assert.Equal(["node-1", "node-2"], outcome.Nodes);
        Assert.Equal(3, step.Next.AnalysisSeconds, 9);

        var done = step.Next.ReportsWritten("job-1", Manifest());
        Assert.Equal(JobPhase.Finished, done.Next.Phase);
        Assert.True(Assert.Single(done.Effects.OfType<ReplicateJob>()).Record.Finished);
        Assert.Empty(done.Next.Analyzed(Ok("a0"), T0.AddSeconds(9), 1).Effects); // a late reply
    }

    [Fact]
    public void A_failed_planning_or_report_fails_the_job_with_its_reason()
    {
        var run = JobRun.Idle(Defaults).Submit(Spec(), T0).Step.Next;
        var failed = run.JobFailed("job-1", "planning failed: store unreachable");
        Assert.Equal(JobPhase.Failed, failed.Next.Phase);
        Assert.Equal("planning failed: store unreachable", failed.Next.Status(T0).Message);
        Assert.Empty(run.JobFailed("job-0", "other").Effects);
    }

    private static JobRun Finish(JobRun analyzing)
    {
        var step = new JobStep(analyzing, []);
        foreach (var key in new[] { "a0", "a1", "b0", "b1" })
        {
            step = step.Next.Analyzed(Ok(key), T0.AddSeconds(5), 1);
        }
        return step.Next.ReportsWritten("job-1", Manifest()).Next;
    }

    private static JobManifest Manifest() => new(
        "job-1", "engine", "/zoo", "models/", "/zoo", "results/", null, new AnalysisOptions(), T0, T0, T0.AddSeconds(9),
        new ManifestCounts(2, 0, 4, 4, 0, 0, 0, 0), new ManifestTimings(1, 2, 3, 9), [], [], [], [], []);
}
