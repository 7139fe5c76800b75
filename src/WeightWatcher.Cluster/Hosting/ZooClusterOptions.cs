using WeightWatcher.Cluster.Protocol;

namespace WeightWatcher.Cluster.Hosting;

/// <summary>Settings of one node of the zoo cluster (bound from the command line or configuration).</summary>
public sealed record ZooClusterOptions
{
    /// <summary>Actor system name: every node of one cluster must use the same.</summary>
    public const string SystemName = "weightwatcher";

    /// <summary>Interface to bind (0.0.0.0 in a container).</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>Port to bind.</summary>
    public int Port { get; init; } = 4053;

    /// <summary>Address other nodes reach this one at (a pod's DNS name); null: <see cref="Hostname"/>.</summary>
    public string? PublicHostname { get; init; }

    /// <summary>Seed nodes as host:port; empty: this node forms a cluster on its own.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>Port of the node's HTTP endpoint (<c>/alive</c>, <c>/ready</c>, <c>/metrics</c>; see <see cref="NodeHttpEndpoint"/>); null: none.</summary>
    public int? HttpPort { get; init; }

    /// <summary>Whether this node hosts layer workers (false: it only submits and watches a job).</summary>
    public bool HostsWorkers { get; init; } = true;

    /// <summary>Number of shards of the <c>layer</c> region (fixed for the life of a cluster).</summary>
    public int Shards { get; init; } = 60;

    /// <summary>How long the membership must be stable before the split-brain resolver downs unreachable nodes.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Worker members a new job waits for before its layers are handed out (see <see cref="ZooCoordinatorSettings.MinimumWorkers"/>).</summary>
    public int MinimumWorkers { get; init; } = 1;

    /// <summary>
    /// Level of Akka's own log (DEBUG, INFO, WARNING, ERROR): membership and sharding chatter shows from
    /// INFO; the default keeps it to what an operator must see.
    /// </summary>
    public string AkkaLogLevel { get; init; } = "WARNING";

    /// <summary>
    /// The member's TLS credentials: Akka.Remote runs over mutual TLS and accepts only peers whose certificate
    /// chains to their CA. Null: plain TCP, which any peer that reaches the port can join (for local runs).
    /// Every member of one cluster must agree: a plain member and a TLS member cannot talk.
    /// </summary>
    public ClusterTls? Tls { get; init; }

    /// <summary>The scheme of this cluster's addresses: <c>akka.ssl.tcp</c> over TLS, <c>akka.tcp</c> otherwise.</summary>
    public string Protocol => Tls is null ? "akka.tcp" : "akka.ssl.tcp";

    /// <summary>Dispatch settings of the coordinator.</summary>
    public ZooCoordinatorSettings Coordinator { get; init; } = new(MaxInFlight: 16, TaskTimeout: TimeSpan.FromMinutes(5), MaxAttempts: 3);

    /// <summary>Seed addresses in Akka form (in this member's <see cref="Protocol"/>), this node itself when no seeds are given.</summary>
    public IReadOnlyList<string> SeedAddresses() =>
        (Seeds.Count > 0 ? Seeds : [$"{PublicHostname ?? Hostname}:{Port}"])
            .Select(s => s.Contains("://", StringComparison.Ordinal) ? s : $"{Protocol}://{SystemName}@{s}")
            .ToList();
}
