namespace WeightWatcher.Cluster.Coordination;

/// <summary>How the coordinator dispatches tasks.</summary>
/// <param name="MaxInFlight">Tasks sent and not yet answered, at most (back-pressure on the workers).</param>
/// <param name="TaskTimeout">Deadline of a task before it is sent again.</param>
/// <param name="MaxAttempts">Sends of one task before it is recorded as failed.</param>
public sealed record ZooCoordinatorSettings(int MaxInFlight, TimeSpan TaskTimeout, int MaxAttempts);
