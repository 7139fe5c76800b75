using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace WeightWatcher.Cluster.Hosting;

/// <summary>Whether a node is ready, and if not, why.</summary>
/// <param name="Ready">True when the node has joined: member Up and (on a worker) its shard region registered.</param>
/// <param name="Detail">One line for an operator: the member status, the region's state.</param>
public sealed record NodeReadiness(bool Ready, string Detail);

/// <summary>
/// Readiness of a member of the zoo cluster as Kubernetes should see it: "joined", not "listening". A
/// worker is ready when its member is Up and its <c>layer</c> shard region is registered with the shard
/// coordinator (the coordinator lists the region's address), so shards can be allocated to it.
/// </summary>
public static class NodeHealth
{
    /// <summary>Checks the node behind <paramref name="system"/>; <paramref name="region"/> is the local <c>layer</c> region (null on a member without workers).</summary>
    public static async Task<NodeReadiness> CheckAsync(ActorSystem system, IActorRef? region, TimeSpan timeout, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (system.WhenTerminated.IsCompleted)
        {
            return new NodeReadiness(false, "actor system terminated");
        }
        var cluster = Akka.Cluster.Cluster.Get(system);
        var status = cluster.SelfMember.Status;
        if (status != MemberStatus.Up)
        {
            return new NodeReadiness(false, $"member {status}");
        }
        int up = cluster.State.Members.Count(m => m.Status == MemberStatus.Up);
        if (region is null)
        {
            return new NodeReadiness(true, $"member Up; {up} members Up");
        }
        try
        {
            var regions = await region.Ask<CurrentRegions>(GetCurrentRegions.Instance, timeout, cancellation).ConfigureAwait(false);
            // The coordinator lists every registered region by its node's cluster address (its own included).
            bool registered = regions.Regions.Contains(cluster.SelfAddress);
            return registered
                ? new NodeReadiness(true, $"member Up, shard region registered; {up} members Up, {regions.Regions.Count} regions")
                : new NodeReadiness(false, $"member Up, shard region not registered yet ({regions.Regions.Count} regions known)");
        }
        catch (AskTimeoutException)
        {
            return new NodeReadiness(false, "member Up, shard coordinator not answering");
        }
    }
}
