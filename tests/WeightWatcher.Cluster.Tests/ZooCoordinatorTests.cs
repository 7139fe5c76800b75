using Akka.Actor;
using Akka.Cluster;
using Akka.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Akka.Hosting;
using Akka.TestKit;
using WeightWatcher.Cluster.Coordination;
using WeightWatcher.Cluster.Hosting;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Cluster.Tests.Support;
using WeightWatcher.Cluster.Workers;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// The coordinator actor in one process, in seconds: a one-member cluster built with the production
/// membership wiring, a probe in place of the <c>layer</c> region, and the spec doing the workers' part
/// with the real layer task over a generated zoo in a local folder store. The multi-process kill tests
/// check the same paths end to end; these check each on its own and fast.
/// </summary>
public sealed class ZooCoordinatorTests : Akka.Hosting.TestKit.TestKit
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);
    private readonly TempDir _dir = new();
    private readonly ZooNodeServices _services;
    private readonly int _port = FreePorts.Next();

    public ZooCoordinatorTests(ITestOutputHelper output)
        : base(ZooClusterOptions.SystemName, output, TimeSpan.FromSeconds(30))
    {
        TestZoo.Write(_dir.Path, withBadInput: false);
        var backend = SpectralBackends.Create(SpectralPrecision.Double, out _);
        _services = new ZooNodeServices(new Analyzer(backend, 1), _dir.File("staging"), 1L << 30, parallelism: 1);
    }

    /// <summary>17 layers: three 3-layer mlps, a 3-layer folder model and the 5-layer reference model.</summary>
    private const int ZooLayers = 17;

    /// <summary>The node's services in the container, as <see cref="ZooClusterHostingExtensions.AddWeightWatcherNode"/> registers them.</summary>
    protected override void ConfigureHostBuilder(IHostBuilder builder) =>
        builder.ConfigureServices(services => services.AddSingleton(_services).AddSingleton(Settings()));

    /// <inheritdoc />
    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddZooClusterMembership(new ZooClusterOptions { Port = _port, HostsWorkers = true });

    /// <inheritdoc />
    protected override async Task BeforeTestStart()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await AwaitConditionAsync(() => Task.FromResult(cluster.SelfMember.Status == MemberStatus.Up), TimeSpan.FromSeconds(20));
    }

    /// <inheritdoc />
    protected override Task AfterAllAsync()
    {
        _services.Dispose();
        _dir.Dispose();
        return base.AfterAllAsync();
    }

    private static ZooCoordinatorSettings Settings(int maxInFlight = 4, double timeoutSeconds = 60, int maxAttempts = 3, int minimumWorkers = 1) =>
        new(maxInFlight, TimeSpan.FromSeconds(timeoutSeconds), maxAttempts, minimumWorkers, Settle);

    private ZooJobSpec Job(string id, ZooCoordinatorSettings settings) =>
        new(id, _dir.Path, "models/", null, "results/", null, new AnalysisOptions(), DateTimeOffset.UtcNow, settings);

    // Built as the hosting extensions build the singleton: by the resolver, the probe standing in for the region.
    private IActorRef Coordinator(TestProbe region) => Sys.ActorOf(DependencyResolver.For(Sys).Props<ZooCoordinator>(region.Ref));

    private async Task<JobStatus> Submit(IActorRef coordinator, ZooJobSpec job) => await coordinator.Ask<JobStatus>(new SubmitJob(job), TimeSpan.FromSeconds(10));

    /// <summary>Does a worker's part for the next task the region receives: the real layer task, its reply to the coordinator.</summary>
    private async Task<AnalyzeLayer> Work(TestProbe region, IActorRef coordinator)
    {
        var task = await region.ExpectMsgAsync<AnalyzeLayer>(TimeSpan.FromSeconds(20));
        coordinator.Tell(await LayerTask.RunAsync(_services, task, "spec-node"));
        return task;
    }

    private async Task<JobStatus> Finished(IActorRef coordinator)
    {
        JobStatus status = JobStatus.Idle;
        await AwaitConditionAsync(async () =>
        {
            status = await coordinator.Ask<JobStatus>(GetJobStatus.Instance, TimeSpan.FromSeconds(5));
            return status.Phase is JobPhase.Finished or JobPhase.Failed;
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));
        Assert.Equal(JobPhase.Finished, status.Phase);
        return status;
    }

    private JobManifest Manifest() => ResultFiles.Manifest(Path.Combine(_dir.Path, "results"));

    [Fact]
    public async Task A_job_resumed_after_its_coordinator_moved_analyzes_only_the_layers_not_stored()
    {
        var firstRegion = CreateTestProbe();
        var first = Coordinator(firstRegion);
        await Submit(first, Job("resume", Settings()));
        for (int i = 0; i < 5; i++)
        {
            await Work(firstRegion, first);
        }
        // The node hosting the coordinator dies: the replicated job record outlives it.
        await WatchAsync(first);
        Sys.Stop(first);
        await ExpectTerminatedAsync(first);

        var region = CreateTestProbe();
        var second = Coordinator(region); // reads the job record on start, as a singleton taking over does
        var sent = new List<string>();
        for (int i = 0; i < ZooLayers - 5; i++)
        {
            sent.Add((await Work(region, second)).LayerKey);
        }
        var status = await Finished(second);
        Assert.Equal("resume", status.JobId);
        Assert.Equal((ZooLayers, 5), (status.LayersTotal, status.LayersCached));
        Assert.Equal(ZooLayers - 5, sent.Distinct().Count());
        var counts = Manifest().Counts;
        Assert.Equal((ZooLayers - 5, 5, 0), (counts.LayersAnalyzed, counts.LayersCached, counts.LayersFailed));
        await region.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Tasks_in_flight_when_a_member_leaves_are_sent_again_once_the_regions_settled()
    {
        // A second member, in this process, with the same production wiring.
        using var second = new HostBuilder()
            .ConfigureServices(s => s.AddAkka(ZooClusterOptions.SystemName, b => b.AddZooClusterMembership(
                new ZooClusterOptions { Port = FreePorts.Next(), Seeds = [$"127.0.0.1:{_port}"] })))
            .Build();
        await second.StartAsync();
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await AwaitConditionAsync(() => Task.FromResult(cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 2), TimeSpan.FromSeconds(20));

        var region = CreateTestProbe();
        var coordinator = Coordinator(region);
        await Submit(coordinator, Job("member-left", Settings(maxInFlight: 2)));
        var held = new[] { await region.ExpectMsgAsync<AnalyzeLayer>(), await region.ExpectMsgAsync<AnalyzeLayer>() };
        await region.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300)); // the in-flight bound

        // The member leaves (a pod drained): whatever it held is lost, and the coordinator cannot know which tasks.
        await Akka.Cluster.Cluster.Get(second.Services.GetRequiredService<ActorSystem>()).LeaveAsync();
        await second.StopAsync();
        var again = new[] { await region.ExpectMsgAsync<AnalyzeLayer>(TimeSpan.FromSeconds(20)), await region.ExpectMsgAsync<AnalyzeLayer>(TimeSpan.FromSeconds(5)) };
        Assert.Equal(held.Select(t => t.LayerKey).Order(), again.Select(t => t.LayerKey).Order());

        foreach (var task in again)
        {
            coordinator.Tell(await LayerTask.RunAsync(_services, task, "spec-node"));
        }
        for (int i = 0; i < ZooLayers - 2; i++)
        {
            await Work(region, coordinator);
        }
        var status = await Finished(coordinator);
        Assert.Equal((2, 0), (status.Resent, status.LayersFailed));
        Assert.Equal(ZooLayers, Manifest().Counts.LayersAnalyzed);
    }

    [Fact]
    public async Task Duplicate_and_late_replies_are_counted_once()
    {
        var region = CreateTestProbe();
        var coordinator = Coordinator(region);
        await Submit(coordinator, Job("duplicates", Settings(maxInFlight: 1)));
        var task = await region.ExpectMsgAsync<AnalyzeLayer>();
        var reply = await LayerTask.RunAsync(_services, task, "spec-node");
        coordinator.Tell(reply);
        coordinator.Tell(reply); // a re-sent task that ran twice
        coordinator.Tell(((LayerAnalyzed)reply) with { JobId = "an-earlier-job", LayerKey = "elsewhere" });
        for (int i = 0; i < ZooLayers - 1; i++)
        {
            await Work(region, coordinator);
        }
        var status = await Finished(coordinator);
        coordinator.Tell(reply); // after the end
        var after = await coordinator.Ask<JobStatus>(GetJobStatus.Instance);
        Assert.Equal((ZooLayers, ZooLayers, JobPhase.Finished), (status.LayersDone, after.LayersDone, after.Phase));
        Assert.Equal(ZooLayers, Manifest().Counts.LayersAnalyzed);
        Assert.Equal(ZooLayers, File.ReadAllLines(Path.Combine(_dir.Path, "results", "layers.csv")).Length - 1);
    }

    [Fact]
    public async Task A_task_without_a_reply_is_sent_again_after_its_timeout_then_recorded_as_failed()
    {
        var region = CreateTestProbe();
        var coordinator = Coordinator(region);
        await Submit(coordinator, Job("timeouts", Settings(maxInFlight: 1, timeoutSeconds: 1, maxAttempts: 2)));
        var silent = await region.ExpectMsgAsync<AnalyzeLayer>();
        var again = await region.ExpectMsgAsync<AnalyzeLayer>(TimeSpan.FromSeconds(5)); // its deadline passed: sent again
        Assert.Equal(silent.LayerKey, again.LayerKey);
        // No reply to the second send either: after its deadline the layer fails and the others go on.
        for (int i = 0; i < ZooLayers - 1; i++)
        {
            await Work(region, coordinator);
        }
        var status = await Finished(coordinator);
        Assert.Equal((1, 1), (status.LayersFailed, status.Resent));
        var failure = Assert.Single(Manifest().Failures);
        Assert.Contains("no reply within 1 s, 2 times", failure.Reason);
    }

    [Fact]
    public async Task A_job_wanting_more_workers_than_are_up_hands_out_nothing()
    {
        var region = CreateTestProbe();
        var coordinator = Coordinator(region);
        await Submit(coordinator, Job("two-workers", Settings(minimumWorkers: 2)));
        await AwaitConditionAsync(async () => (await coordinator.Ask<JobStatus>(GetJobStatus.Instance)).Message == "waiting for 2 workers (1 up)", TimeSpan.FromSeconds(20));
        await region.ExpectNoMsgAsync(TimeSpan.FromSeconds(2));
        var status = await coordinator.Ask<JobStatus>(GetJobStatus.Instance);
        Assert.Equal((JobPhase.Analyzing, ZooLayers, 0), (status.Phase, status.LayersTotal, status.LayersDone));
    }
}
