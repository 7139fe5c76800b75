namespace WeightWatcher.Cluster.Protocol;

/// <summary>How the coordinator dispatches tasks. Part of a job, so a coordinator that takes over keeps them.</summary>
/// <param name="MaxInFlight">Tasks sent and not yet answered, at most (back-pressure on the workers).</param>
/// <param name="TaskTimeout">Deadline of a task before it is sent again.</param>
/// <param name="MaxAttempts">Sends of one task before it is recorded as failed.</param>
/// <param name="MinimumWorkers">
/// Worker members that must be up before a new job's first layers are handed out, so the first worker to
/// join does not take every shard. Only a new job waits: one resumed after its coordinator moved goes on
/// with the workers that are left.
/// </param>
/// <param name="RegionSettle">
/// Time the shard regions get to re-home a departed member's shards before the tasks it may have held are
/// sent again (null: 5 s).
/// </param>
public sealed record ZooCoordinatorSettings(int MaxInFlight, TimeSpan TaskTimeout, int MaxAttempts, int MinimumWorkers = 1, TimeSpan? RegionSettle = null)
{
    /// <summary>The effective <see cref="RegionSettle"/>.</summary>
    public TimeSpan Settle => RegionSettle ?? TimeSpan.FromSeconds(5);
}

/// <summary>The cluster roles of a zoo cluster's members.</summary>
public static class ClusterRoles
{
    /// <summary>Members that host layer workers (and may host the coordinator singleton).</summary>
    public const string Worker = "worker";
}
