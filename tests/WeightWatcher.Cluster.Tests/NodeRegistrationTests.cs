using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using WeightWatcher.Cluster.Hosting;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Workers;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// What <see cref="ZooClusterHostingExtensions.AddWeightWatcherNode"/> puts in the container, from which the
/// dependency resolver builds the layer workers and the coordinator: one set of node services (created on
/// first use, disposed with the container), its metrics, the options and the coordinator settings.
/// </summary>
public sealed class NodeRegistrationTests
{
    [Fact]
    public void The_node_services_options_and_settings_come_from_one_container()
    {
        using var dir = new TempDir();
        var options = new ZooClusterOptions { Port = 4053, HostsWorkers = true, Coordinator = new ZooCoordinatorSettings(7, TimeSpan.FromSeconds(9), 2) };
        int created = 0;
        var collection = new ServiceCollection().AddWeightWatcherNode(options, provider =>
        {
            created++;
            return new ZooNodeServices(new Analyzer(SpectralBackends.Create(SpectralPrecision.Double, out _), 1), dir.File("staging"), 1L << 20, parallelism: 1);
        });
        ZooNodeServices services;
        using (var container = collection.BuildServiceProvider())
        {
            services = container.GetRequiredService<ZooNodeServices>();
            Assert.Same(services, container.GetRequiredService<ZooNodeServices>());
            Assert.Same(services.Metrics, container.GetRequiredService<NodeMetrics>());
            Assert.Same(options, container.GetRequiredService<ZooClusterOptions>());
            Assert.Equal(7, container.GetRequiredService<ZooCoordinatorSettings>().MaxInFlight);
            Assert.Contains(collection, d => d.ServiceType == typeof(ActorSystem));
        }
        Assert.Equal(1, created);
        // Disposed with the container: its gate is gone.
        Assert.Throws<ObjectDisposedException>(() => services.Gate.Wait(0));
    }
}
