using WeightWatcher.Cluster.Protocol;

namespace WeightWatcher.Cluster.Coordination;

/// <summary>
/// What a <see cref="JobRun"/> transition asks the world to do. Transitions only return effects; the
/// coordinator actor carries them out (sends, replication, planning and reporting tasks, logging).
/// </summary>
public abstract record JobEffect;

/// <summary>Plan <paramref name="Spec"/> (list models, hash, read headers) and report back with the plan.</summary>
public sealed record StartPlanning(ZooJobSpec Spec) : JobEffect;

/// <summary>Send these tasks to the <c>layer</c> shard region.</summary>
public sealed record SendTasks(IReadOnlyList<AnalyzeLayer> Tasks) : JobEffect;

/// <summary>Write the job's reports and manifest and report back when done.</summary>
/// <param name="Spec">The job.</param>
/// <param name="Plan">Its plan.</param>
/// <param name="Outcome">What the analysis produced.</param>
/// <param name="StartedAt">When the job (re)started on this coordinator.</param>
/// <param name="PlanningSeconds">Time spent planning.</param>
/// <param name="AnalysisSeconds">Time spent analyzing.</param>
public sealed record WriteReports(ZooJobSpec Spec, ZooPlan Plan, AnalysisOutcome Outcome, DateTimeOffset StartedAt, double PlanningSeconds, double AnalysisSeconds) : JobEffect;

/// <summary>Write <paramref name="Record"/> to the replicated job register (every node can resume the job from it).</summary>
public sealed record ReplicateJob(ZooJobRecord Record) : JobEffect;

/// <summary>A structured log event (Serilog message template and its values).</summary>
public sealed record LogNote(Serilog.Events.LogEventLevel Level, string Template, params object?[] Values) : JobEffect;

/// <summary>The outcome of a transition: the next state and the effects to carry out, in order.</summary>
/// <param name="Next">The state after the transition.</param>
/// <param name="Effects">What to do.</param>
public sealed record JobStep(JobRun Next, IReadOnlyList<JobEffect> Effects)
{
    /// <summary>No change, nothing to do.</summary>
    public static JobStep Unchanged(JobRun run) => new(run, []);
}
