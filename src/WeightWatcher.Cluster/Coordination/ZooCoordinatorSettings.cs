namespace WeightWatcher.Cluster.Coordination;

/// <summary>How the coordinator dispatches tasks.</summary>
/// <param name="MaxInFlight">Tasks sent and not yet answered, at most (back-pressure on the workers).</param>
/// <param name="TaskTimeout">Deadline of a task before it is sent again.</param>
/// <param name="MaxAttempts">Sends of one task before it is recorded as failed.</param>
/// <param name="MinimumWorkers">
/// Worker members that must be up before a new job's first layers are handed out, so the first worker to
/// join does not take every shard. Only a new job waits: one resumed after its coordinator moved goes on
/// with the workers that are left.
/// </param>
public sealed record ZooCoordinatorSettings(int MaxInFlight, TimeSpan TaskTimeout, int MaxAttempts, int MinimumWorkers = 1);
