namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// Reading what happened in a cluster from its members' logs: Akka's membership events (at INFO, see
/// <see cref="LoopbackCluster.Start"/>) and the workers' per-layer debug events.
/// </summary>
internal static class ClusterLog
{
    /// <summary>Akka's warning when a member's failure detector gives up on another.</summary>
    public const string Unreachable = "Marking node(s) as UNREACHABLE";

    /// <summary>True when one line of the process's log holds every one of <paramref name="parts"/>.</summary>
    public static bool HasLine(WwProcess process, params string[] parts) =>
        process.Stderr.Split('\n').Any(line => parts.All(p => line.Contains(p, StringComparison.Ordinal)));

    /// <summary>Lines of the logs that hold <paramref name="part"/>.</summary>
    public static IEnumerable<string> Lines(IEnumerable<WwProcess> processes, string part) =>
        processes.SelectMany(p => p.Stderr.Split('\n')).Where(line => line.Contains(part, StringComparison.Ordinal));

    /// <summary>How many times the leader (one of <paramref name="members"/>) moved the worker's address to Up.</summary>
    public static int UpLines(IEnumerable<WwProcess> members, ClusterWorker worker) =>
        Lines(members, $"Leader is moving node [{worker.AkkaAddress}] to [Up]").Count();

    /// <summary>True when a log says the leader marked the worker Down (a member that saw it unreachable and downed it).</summary>
    public static bool Downed(IEnumerable<WwProcess> members, ClusterWorker worker) =>
        Lines(members, $"node [{worker.AkkaAddress}] as [Down]").Any();

    /// <summary>How many times each layer key was analyzed, from the workers' "Analyzing ... (key)" debug events.</summary>
    public static Dictionary<string, int> Analyses(IEnumerable<string> workerLogs) =>
        workerLogs.SelectMany(log => log.Split('\n'))
            .Select(line => line.TrimEnd())
            .Where(line => line.Contains(" Analyzing ", StringComparison.Ordinal) && line.EndsWith(')'))
            .Select(line => line[(line.LastIndexOf('(') + 1)..^1])
            .GroupBy(key => key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}
