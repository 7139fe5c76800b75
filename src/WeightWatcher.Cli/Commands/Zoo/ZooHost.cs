using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using WeightWatcher.Cluster.Hosting;
using WeightWatcher.Cluster.Workers;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Storage;

namespace WeightWatcher.Cli.Commands.Zoo;

/// <summary>Starts one member of the zoo cluster in this process (generic host + Akka.Hosting).</summary>
internal sealed class ZooHost : IAsyncDisposable
{
    private readonly IHost _host;

    private ZooHost(IHost host, ZooNodeServices services, ZooClusterOptions options)
    {
        _host = host;
        Services = services;
        Options = options;
    }

    public ZooNodeServices Services { get; }

    public ZooClusterOptions Options { get; }

    public ActorSystem System => _host.Services.GetRequiredService<ActorSystem>();

    /// <summary>True for a member started without seeds: it forms a cluster of its own.</summary>
    public bool IsClusterOfOne => Options.Seeds.Count == 0;

    /// <summary>
    /// Starts, on another core, the one-time work that a member's start-up would otherwise do on its own
    /// path: Akka's HOCON reads every duration through a <c>RegexOptions.Compiled</c> regex, generated and
    /// JIT-compiled at first use (not covered by ReadyToRun, and the largest single item of a member's
    /// start-up), and Akka.Hosting quotes settings through another. Called as the command starts; the
    /// member's start then finds them ready (or waits for the type initializer already under way).
    /// </summary>
    public static void WarmUp() => ThreadPool.UnsafeQueueUserWorkItem(_ =>
    {
        try
        {
            Akka.Configuration.ConfigurationFactory.ParseString("warm-up = 1s").GetTimeSpan("warm-up");
            _ = Akka.Hosting.HoconExtensions.ToHocon("warm-up");
        }
        catch (Exception e)
        {
            Log.Debug(e, "Warm-up failed (harmless: the member's start does the same work)");
        }
    }, null);

    /// <summary>Builds and starts a member.</summary>
    public static async Task<ZooHost> StartAsync(ZooClusterOptions options, int parallel, string staging, TimeSpan storeRetryBudget, long maxMemory, CancellationToken cancellation)
    {
        var (analyzer, backend) = EngineFactory.Create(SpectralPrecision.Double, parallel, maxMemory);
        // No default configuration sources: every setting comes from the command line or WW_* variables, and
        // the defaults' appsettings.json watcher would put inotify watches on the whole working directory
        // tree, which dominates a cluster of one's start. Logging goes to Serilog directly.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        // The command owns SIGTERM and SIGINT (StopSignals): the host's console lifetime would stop the member
        // behind the command's back, leaving it waiting on a cluster that is gone.
        builder.Services.AddSingleton<IHostLifetime, CommandOwnedLifetime>();
        builder.Services.AddWeightWatcherNode(options, _ => new ZooNodeServices(analyzer, staging, stagingBytes: 20L << 30, parallelism: parallel,
            openStore: (spec, create) => StoreFactory.Create(spec, create, retryBudget: storeRetryBudget)));
        var host = builder.Build();
        // The container owns (and disposes) the node's services; the command reads the result store through them.
        var services = host.Services.GetRequiredService<ZooNodeServices>();
        Log.Information("Starting cluster member {Host}:{Port} (workers: {Workers}, seeds: {Seeds}, backend: {Backend}, {Parallel} layers at once)",
            options.PublicHostname ?? options.Hostname, options.Port, options.HostsWorkers, string.Join(",", options.SeedAddresses()), backend.Name, parallel);
        LogTransport(options);
        await host.StartAsync(cancellation).ConfigureAwait(false);
        return new ZooHost(host, services, options);
    }

    /// <summary>How the member's peers reach it: over mutual TLS (information), or over plain TCP (a warning, once).</summary>
    private static void LogTransport(ZooClusterOptions options)
    {
        if (options.Tls is { } tls)
        {
            Log.Information("Akka.Remote over mutual TLS: certificate {Subject} from {Folder}; peers must present a certificate issued by {Authority}",
                tls.Certificate.Subject, tls.Folder, tls.AuthoritySubject);
        }
        else
        {
            Log.Warning("Akka.Remote on {Host}:{Port} is plain TCP: any peer that reaches the port can join the cluster and submit jobs. Turn TLS on with --tls-dir (or {Variable}): a folder with {Certificate}, {Key} and {Authority}",
                options.Hostname, options.Port, EnvironmentDefaults.TlsDir, ClusterTls.CertificateFile, ClusterTls.KeyFile, ClusterTls.AuthorityFile);
        }
    }

    private bool IsAlone()
    {
        var cluster = Akka.Cluster.Cluster.Get(System);
        var state = cluster.State;
        return !cluster.IsTerminated && state.Unreachable.Count == 0 && state.Members.All(m => m.UniqueAddress.Equals(cluster.SelfUniqueAddress));
    }

    /// <summary>A host lifetime that listens to no signal: the command decides when the host stops.</summary>
    private sealed class CommandOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Shutdown reason of a member that was alone in its cluster.</summary>
    private sealed class AloneReason : CoordinatedShutdown.Reason
    {
        public static readonly AloneReason Instance = new();

        public override int ExitCode => 0;

        public override string ToString() => "the last member of its cluster is stopping";
    }

    /// <summary>The coordinator singleton's proxy.</summary>
    public Task<IActorRef> CoordinatorAsync(CancellationToken cancellation) =>
        _host.Services.GetRequiredService<ActorRegistry>().GetAsync<ZooCoordinatorProxy>(cancellation);

    /// <summary>
    /// When the member's actor system stopped because a TLS handshake with a peer it connected to failed
    /// (Akka.Remote shuts a member down then: the peer's certificate was refused, or the peer refused this
    /// member's): Akka's reason, naming the peer; otherwise null.
    /// </summary>
    public string? TlsFailure =>
        // The reason's type is internal to Akka.Remote: known by name.
        CoordinatedShutdown.Get(System).ShutdownReason is { } reason && reason.GetType().Name == "TlsHandshakeFailureReason"
            ? $"{reason}: this member and the peer do not accept each other's certificate (both must be issued by the CA of the cluster; the TLS lines above say which side refused)"
            : null;

    /// <summary>Waits until <paramref name="stop"/> is cancelled (a stop signal) or the actor system terminates (downed).</summary>
    public Task WaitForShutdownAsync(CancellationToken stop) =>
        Task.WhenAny(Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default), System.WhenTerminated);

    /// <summary>
    /// Stops the member. A member that is alone in its cluster has nobody to tell it is leaving, to hand its
    /// singletons to or to rebalance shards with: it skips the leave protocol (Leaving, Exiting, Removed
    /// take a leader tick and gossip rounds, about a second) and terminates its actor system at once. A
    /// member with others runs the full coordinated shutdown, as before.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (IsAlone())
            {
                Log.Information("Last member of the cluster: stopping without the leave protocol");
                await CoordinatedShutdown.Get(System).Run(AloneReason.Instance, CoordinatedShutdown.PhaseBeforeActorSystemTerminate).ConfigureAwait(false);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _host.Dispose(); // disposes the node's services too
    }
}
