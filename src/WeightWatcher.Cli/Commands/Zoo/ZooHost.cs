using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using WeightWatcher.Cluster.Hosting;
using WeightWatcher.Cluster.Workers;
using WeightWatcher.Core.Spectral;

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

    /// <summary>Builds and starts a member.</summary>
    public static async Task<ZooHost> StartAsync(ZooClusterOptions options, int parallel, string staging, CancellationToken cancellation)
    {
        var (analyzer, backend) = EngineFactory.Create(SpectralPrecision.Double, parallel);
        var services = new ZooNodeServices(analyzer, staging, stagingBytes: 20L << 30, parallelism: parallel);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAkka(ZooClusterOptions.SystemName, (akka, _) => akka.AddWeightWatcherCluster(options, services));
        var host = builder.Build();
        Log.Information("Starting cluster member {Host}:{Port} (workers: {Workers}, seeds: {Seeds}, backend: {Backend}, {Parallel} layers at once)",
            options.PublicHostname ?? options.Hostname, options.Port, options.HostsWorkers, string.Join(",", options.SeedAddresses()), backend.Name, parallel);
        await host.StartAsync(cancellation).ConfigureAwait(false);
        return new ZooHost(host, services, options);
    }

    /// <summary>The coordinator singleton's proxy.</summary>
    public Task<IActorRef> CoordinatorAsync(CancellationToken cancellation) =>
        _host.Services.GetRequiredService<ActorRegistry>().GetAsync<ZooCoordinatorProxy>(cancellation);

    /// <summary>Waits until the host is asked to stop (SIGTERM, Ctrl-C) or the actor system terminates (downed).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation) =>
        Task.WhenAny(_host.WaitForShutdownAsync(cancellation), System.WhenTerminated);

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _host.Dispose();
        Services.Dispose();
    }
}
