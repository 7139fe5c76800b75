using WeightWatcher.Cluster.Coordination;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// The plan index: layers of models planned before, by root, content hash, options and the core's build,
/// in a real folder store. Only a cache: whatever does not match, or cannot be read, is planned again.
/// </summary>
public sealed class PlanIndexTests
{
    private const string IndexPath = "results/state/plans.json";

    private static readonly RememberedPlan Plan = new("onnx",
    [
        new RememberedLayer(3, "fc1.weight", null),
        new RememberedLayer(7, "fc2.weight", [new ByteRange("models/m/model.safetensors", 128, 4096)]),
    ], SkippedLayers: 2, Skipped: "2 1-D weights (biases, norm scales)");

    [Fact]
    public async Task A_saved_plan_is_found_again_only_under_the_same_model_content_and_options()
    {
        using var dir = new TempDir();
        using var store = new LocalFolderStore(dir.Path, createIfMissing: true);
        var options = new AnalysisOptions();
        string key = PlanIndex.KeyOf(options, "models/m/", new string('a', 64));

        var index = await PlanIndex.LoadAsync(store, IndexPath, TestContext.Current.CancellationToken);
        Assert.Null(index.Find(key));
        index.Remember(key, Plan);
        await index.SaveAsync(TestContext.Current.CancellationToken);

        var loaded = await PlanIndex.LoadAsync(store, IndexPath, TestContext.Current.CancellationToken);
        var found = loaded.Find(key);
        Assert.NotNull(found);
        Assert.Equal("onnx", found.Format);
        Assert.Equal(Plan.Layers.Select(l => (l.LayerId, l.Name)), found.Layers.Select(l => (l.LayerId, l.Name)));
        Assert.Equal(Plan.Layers[1].Ranges, found.Layers[1].Ranges);
        Assert.Equal((2, "2 1-D weights (biases, norm scales)"), (found.SkippedLayers, found.Skipped));

        Assert.NotEqual(key, PlanIndex.KeyOf(options, "models/m/", new string('b', 64)));
        Assert.NotEqual(key, PlanIndex.KeyOf(options with { MinEvals = 20 }, "models/m/", new string('a', 64)));
        Assert.NotEqual(key, PlanIndex.KeyOf(options, "models/other/", new string('a', 64)));
    }

    [Fact]
    public async Task A_corrupt_index_or_one_written_by_another_build_plans_anew()
    {
        using var dir = new TempDir();
        using var store = new LocalFolderStore(dir.Path, createIfMissing: true);
        string key = PlanIndex.KeyOf(new AnalysisOptions(), "models/m.onnx", new string('c', 64));

        await store.WriteAsync(IndexPath, "{ not json"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.Null((await PlanIndex.LoadAsync(store, IndexPath, TestContext.Current.CancellationToken)).Find(key));

        string otherBuild = "{\"format\":1,\"build\":\"0000\",\"entries\":{\"" + key + "\":{\"format\":\"onnx\",\"layers\":[{\"layerId\":1,\"name\":\"w\",\"ranges\":null}]}}}";
        await store.WriteAsync(IndexPath, System.Text.Encoding.UTF8.GetBytes(otherBuild), TestContext.Current.CancellationToken);
        Assert.Null((await PlanIndex.LoadAsync(store, IndexPath, TestContext.Current.CancellationToken)).Find(key));
    }

    [Fact]
    public async Task An_index_with_nothing_new_is_not_written_again()
    {
        using var dir = new TempDir();
        using var store = new LocalFolderStore(dir.Path, createIfMissing: true);
        var index = await PlanIndex.LoadAsync(store, IndexPath, TestContext.Current.CancellationToken);
        await index.SaveAsync(TestContext.Current.CancellationToken);
        Assert.Null(await store.GetAsync(IndexPath, TestContext.Current.CancellationToken));
    }
}
