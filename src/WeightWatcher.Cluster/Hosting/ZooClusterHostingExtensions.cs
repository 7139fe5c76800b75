using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Cluster.Sharding;
using Akka.DependencyInjection;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using WeightWatcher.Cluster.Coordination;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Serialization;
using WeightWatcher.Cluster.Workers;

namespace WeightWatcher.Cluster.Hosting;

/// <summary>Registry key of the <c>layer</c> shard region (or its proxy).</summary>
public sealed class LayerRegion;

/// <summary>Registry key of the coordinator singleton's proxy.</summary>
public sealed class ZooCoordinatorProxy;

/// <summary>
/// The composition API of the zoo cluster: remoting, clustering with the split-brain resolver, the one
/// serializer of the protocol, the <c>layer</c> shard region (DData coordinator state, no remembered
/// entities) and the <see cref="ZooCoordinator"/> singleton. The same wiring runs one process on a
/// laptop and many pods in Kubernetes.
/// </summary>
public static class ZooClusterHostingExtensions
{
    /// <summary>
    /// Registers one member of the zoo cluster in <paramref name="services"/>: the node's services (created by
    /// <paramref name="nodeServices"/> on first use, disposed with the container), its metrics, the cluster
    /// options and coordinator settings, and the actor system with <see cref="AddWeightWatcherCluster"/>.
    /// The actors reach what they need through this container (Akka.DependencyInjection), not through closures.
    /// </summary>
    public static IServiceCollection AddWeightWatcherNode(this IServiceCollection services, ZooClusterOptions options, Func<IServiceProvider, ZooNodeServices> nodeServices)
    {
        services.AddSingleton(options);
        services.AddSingleton(options.Coordinator);
        services.AddSingleton(nodeServices);
        services.AddSingleton(provider => provider.GetRequiredService<ZooNodeServices>().Metrics);
        return services.AddAkka(ZooClusterOptions.SystemName, (akka, _) => akka.AddWeightWatcherCluster(options));
    }

    /// <summary>
    /// Adds the zoo cluster to <paramref name="builder"/>: membership, the region and the coordinator singleton.
    /// The actors are created by the dependency resolver, so the container must hold the node's
    /// <see cref="ZooNodeServices"/> and <see cref="ZooCoordinatorSettings"/> (see <see cref="AddWeightWatcherNode"/>).
    /// </summary>
    public static AkkaConfigurationBuilder AddWeightWatcherCluster(this AkkaConfigurationBuilder builder, ZooClusterOptions options)
    {
        builder
            .ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLogger<SerilogLogger>();
            })
            .AddZooClusterMembership(options);

        // The proxy on a member that has just started cannot find the singleton until the cluster is up: expected, not a warning.
        // Identified every 250 ms rather than every second: a job is submitted as soon as the cluster is up. In a
        // cluster of one the singleton is in this process and starts right after the self-join: every 20 ms.
        var singleton = new ClusterSingletonOptions
        {
            Role = ClusterRoles.Worker,
            LogSingletonIdentificationFailure = false,
            SingletonIdentificationInterval = TimeSpan.FromMilliseconds(options.Seeds.Count == 0 ? 20 : 250),
        };
        if (options.HostsWorkers)
        {
            builder
                // The replicator of the job register starts lazily; every worker needs one running, or a
                // majority write from the coordinator finds too few replicas to answer.
                .WithActors((system, _) => Akka.DistributedData.DistributedData.Get(system))
                .WithShardRegion<LayerRegion>(
                    "layer",
                    (_, _, resolver) => _ => resolver.Props<LayerWorker>(),
                    new LayerMessageExtractor(options.Shards),
                    new ShardOptions { StateStoreMode = StateStoreMode.DData, RememberEntities = false, Role = ClusterRoles.Worker })
                .WithSingleton<ZooCoordinatorProxy>(
                    "zoo-coordinator",
                    // The region is this system's actor, not a service: it is the one argument not from the container.
                    (_, registry, resolver) => resolver.Props<ZooCoordinator>(registry.Get<LayerRegion>()),
                    singleton,
                    createProxyToo: true);
        }
        else
        {
            builder
                .WithShardRegionProxy<LayerRegion>("layer", ClusterRoles.Worker, new LayerMessageExtractor(options.Shards))
                .WithSingletonProxy<ZooCoordinatorProxy>("zoo-coordinator", singleton);
        }
        if (options.HttpPort is { } httpPort)
        {
            builder.AddStartup((system, registry) => StartHttpEndpoint(system, registry, options, httpPort));
        }
        return builder;
    }

    /// <summary>
    /// Membership alone: remoting, clustering with the split-brain resolver and the node's roles, the
    /// protocol's serializer and the settings of <see cref="ClusterHocon"/>. In-process specs build on this
    /// to run a coordinator against probes with the production wiring.
    /// </summary>
    public static AkkaConfigurationBuilder AddZooClusterMembership(this AkkaConfigurationBuilder builder, ZooClusterOptions options) =>
        builder
            .AddHocon(ClusterHocon(options), HoconAddMode.Prepend)
            .WithRemoting(Remoting(options))
            .WithClustering(new ClusterOptions
            {
                SeedNodes = options.SeedAddresses().ToArray(),
                Roles = options.HostsWorkers ? [ClusterRoles.Worker] : [],
                SplitBrainResolver = SplitBrainResolverOption.Default,
                // No min-nr-of-members: the coordinator waits for workers itself (ZooCoordinatorSettings.MinimumWorkers).
            })
            .AddZooSerialization();

    /// <summary>
    /// Akka.Remote's transport: plain TCP, or mutual TLS when the member has <see cref="ZooClusterOptions.Tls"/>.
    /// Over TLS each member presents its certificate both when it connects and when it is connected to, and
    /// checks the peer's against the cluster's CA (<see cref="ClusterTls.PeerValidator"/>); chain validation is
    /// never suppressed and host names are not checked (the CA decides membership).
    /// </summary>
    private static RemoteOptions Remoting(ZooClusterOptions options)
    {
        var remote = new RemoteOptions { HostName = options.Hostname, Port = options.Port, PublicHostName = options.PublicHostname };
        if (options.Tls is { } tls)
        {
            remote.EnableSsl = true;
            remote.Ssl = new SslOptions
            {
                X509Certificate = tls.Certificate,
                SuppressValidation = false,
                RequireMutualAuthentication = true,
                ValidateCertificateHostname = false,
                CustomValidator = tls.PeerValidator(),
            };
        }
        return remote;
    }

    /// <summary>The node's /alive, /ready and /metrics, stopped when the actor system terminates.</summary>
    private static void StartHttpEndpoint(ActorSystem system, IActorRegistry registry, ZooClusterOptions options, int port)
    {
        var metrics = DependencyResolver.For(system).Resolver.GetService<NodeMetrics>();
        // A worker is ready once its region is registered; a member without workers once it is Up.
        IActorRef? region = options.HostsWorkers ? registry.Get<LayerRegion>() : null;
        var endpoint = NodeHttpEndpoint.Start(options.Hostname, port,
            cancellation => NodeHealth.CheckAsync(system, region, TimeSpan.FromSeconds(2), cancellation), metrics);
        system.RegisterOnTermination(endpoint.Dispose);
    }

    /// <summary>Settings without a typed option in Akka.Hosting.</summary>
    private static string ClusterHocon(ZooClusterOptions options) => $$"""
        # Akka's own events are for operators when something is wrong: warnings and errors only by default
        # (ZooClusterOptions.AkkaLogLevel). The job's events go to Serilog directly.
        akka.loglevel = {{options.AkkaLogLevel}}
        akka.stdout-loglevel = WARNING
        akka.cluster.split-brain-resolver.stable-after = {{(int)options.StableAfter.TotalMilliseconds}}ms
        # Keep-majority decides once membership has been stable for stable-after. The down-all-when-unstable
        # fallback (on by default, at 3/4 of stable-after past it) downed every member, the submitter
        # included, when two busy cores delayed the gossip that settles a single killed worker: a job lost
        # to a fault the majority rule handles. A flapping network then waits instead of losing everything.
        akka.cluster.split-brain-resolver.down-all-when-unstable = off
        akka.cluster.run-coordinated-shutdown-when-down = on
        # Workers keep every core busy with LAPACK, which delays heartbeats (2.1 s gaps measured on two
        # cores against the 1 s interval): a longer pause than the 3 s default keeps a busy node from
        # being taken for dead, at the cost of a few seconds more before a really dead one is downed.
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 6s
        # The job register lives on the workers only: a submit-only member (ww zoo run --seeds) runs no
        # replicator, and counting it would make every majority read/write fail.
        akka.cluster.distributed-data.role = "{{ClusterRoles.Worker}}"
        # Majority (not majority + 3) for the shard coordinator's state: with three workers the default
        # needs all of them, so one dead worker blocks every shard allocation until it is removed.
        akka.cluster.sharding.coordinator-state.write-majority-plus = 0
        akka.cluster.sharding.coordinator-state.read-majority-plus = 0
        akka.cluster.sharding.distributed-data.majority-min-cap = 2
        akka.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit = 20
        akka.cluster.sharding.least-shard-allocation-strategy.rebalance-relative-limit = 0.5
        akka.cluster.sharding.passivate-idle-entity-after = 2m
        akka.remote.dot-netty.tcp.maximum-frame-size = 16MB
        akka.remote.dot-netty.tcp.send-buffer-size = 16MB
        akka.remote.dot-netty.tcp.receive-buffer-size = 16MB
        # The process that hosts the member owns its stop signals (ww: StopSignals) and stops the host, which
        # runs coordinated shutdown; Akka's own hook would take SIGTERM first and leave the command waiting
        # on a member that is already gone.
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        """;
}
