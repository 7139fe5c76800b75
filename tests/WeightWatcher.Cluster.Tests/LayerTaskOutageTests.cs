using WeightWatcher.Cluster.Coordination;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Workers;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A layer task whose model is in blob storage while the blob service is away (an Azurite of the test's own;
/// results in a folder, so the tensor's range read is the task's only blob request): back within the retry
/// budget, the read is waited for and the layer analyzed, the retries in the reply; away past the budget, the
/// task fails as the store's failure (transient, the store unavailable: the coordinator fails the job), never
/// as the layer's, and nothing is cached for the layer, so the next run analyzes it.
/// </summary>
public sealed class LayerTaskOutageTests
{
    [Fact]
    public async Task A_model_read_during_an_outage_is_waited_for_and_one_past_the_budget_is_the_stores_failure_not_the_layers()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        azurite.EnsureRunning();
        string name = "task" + Guid.NewGuid().ToString("N")[..8];
        var container = azurite.CreateContainerClient(name);
        await container.CreateAsync(cancellationToken: cancellation);
        using var dir = new TempDir();
        TestZoo.WriteGenerated(dir.File("zoo"));
        using (var store = new AzureBlobStore(container))
        {
            await store.WriteAsync("models/mlp-c.safetensors", await File.ReadAllBytesAsync(Path.Combine(dir.File("zoo"), "mlp-c.safetensors"), cancellation), cancellation);
        }
        var spec = new ZooJobSpec("job-1", "az://" + name, "models/", dir.File("results"), "results/", null, new AnalysisOptions(), DateTimeOffset.UtcNow);
        using var patient = Services(azurite, dir.File("staging-a"), StoreFactory.DefaultRetryBudget);
        using var hasty = Services(azurite, dir.File("staging-b"), TimeSpan.FromSeconds(4));
        // Planned while the service is up: both nodes hold the model's header, a task fetches its tensor alone.
        var tasks = await PlanAsync(patient, spec);
        await PlanAsync(hasty, spec);

        await azurite.StopAsync();
        var waiting = LayerTask.RunAsync(patient, tasks[0], "node-a", cancellation);
        await Task.Delay(TimeSpan.FromSeconds(4), cancellation);
        Assert.False(waiting.IsCompleted, "the task waited for the service");
        await azurite.StartAgainAsync();
        var analyzed = Assert.IsType<LayerAnalyzed>(await waiting);
        Assert.True(analyzed.StoreRetries > 0, "the task's retries are in its reply");
        Assert.NotEmpty(analyzed.Rows.Rows);

        await azurite.StopAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var failed = Assert.IsType<LayerFailed>(await LayerTask.RunAsync(hasty, tasks[1], "node-b", cancellation));
        Assert.True(failed.StoreUnavailable && !failed.Permanent, failed.ToString());
        Assert.Contains("no answer from the blob service after", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("models/mlp-c.safetensors", failed.Reason, StringComparison.Ordinal);
        Assert.True(failed.StoreRetries > 0);
        Assert.Null(await hasty.Cache(spec.Location).TryGetAsync(tasks[1].LayerKey, cancellation));
        TestContext.Current.SendDiagnosticMessage(FormattableString.Invariant(
            $"outage within the budget: analyzed after {analyzed.StoreRetries} retries; past a 4 s budget: failed after {clock.Elapsed.TotalSeconds:F1} s, {failed.StoreRetries} retries"));
    }

    private static ZooNodeServices Services(AzuriteFixture azurite, string staging, TimeSpan budget) =>
        new(new Analyzer(SpectralBackends.Create(SpectralPrecision.Double, out _), 1), staging, 1L << 30, parallelism: 1,
            openStore: (spec, create) => StoreFactory.Create(spec, create, v => v == StoreFactory.ConnectionStringVariable ? azurite.ConnectionString : null, retryBudget: budget));

    /// <summary>The model's layer tasks, as the coordinator makes them.</summary>
    private static async Task<List<AnalyzeLayer>> PlanAsync(ZooNodeServices services, ZooJobSpec spec)
    {
        var plan = await new ZooPlanner(services).PlanAsync(spec, null, TestContext.Current.CancellationToken);
        var model = Assert.Single(plan.Models);
        return model.Layers.Select(l => new AnalyzeLayer(l.Key, spec.JobId, spec.Location, model.Reference, model.Name, l.LayerId, l.Name, spec.Options, l.Ranges)).ToList();
    }
}
