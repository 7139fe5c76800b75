using static WeightWatcher.Core.Tests.Formats.TfJs.TfJsModelBuilder;

namespace WeightWatcher.Core.Tests.Formats.TfJs;

/// <summary>
/// Mutation fuzzing (<see cref="FormatFuzzer"/>) of the TF.js reader (deterministic seed): damaged model.json files and shards of a
/// layers model and a graph model are opened through <see cref="WeightWatcher.Core.Formats.ModelOpener"/>
/// and every tensor read. Only ModelFormatException naming a model file is allowed; no case over 2 s.
/// </summary>
public sealed class TfJsFuzzTests : IDisposable
{
    private const int CasesPerSeed = 400;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<FuzzSeed> Seeds()
    {
        List<TfJsTestWeight> layerWeights =
        [
            TfJsTestWeight.Float32("conv2d/kernel", [2, 2, 3, 4], RandomFloats(48, 1)),
            TfJsTestWeight.Float32("conv2d/bias", [4], RandomFloats(4, 2)),
            new("dense/kernel", [4, 3], "float32", [.. Enumerable.Range(0, 12).Select(i => (byte)(i * 20))], "{\"dtype\":\"uint8\",\"scale\":0.5,\"min\":-1}"),
            new("dense/bias", [3], "float32", new byte[6], "{\"dtype\":\"float16\"}"),
        ];
        var layers = Build("layers-model", Sequential(Layer("Conv2D", "conv2d"), Layer("Flatten", "flatten"), Layer("Dense", "dense")), layerWeights, 100);
        List<TfJsTestWeight> graphWeights =
        [
            TfJsTestWeight.Float32("model/dense/MatMul", [5, 3], RandomFloats(15, 3)),
            new("Const", [2], "int32", new byte[8]),
            new("table", [2], "string", [1, 0, 0, 0, (byte)'a', 2, 0, 0, 0, (byte)'b', (byte)'c']),
            new("q", [2, 2], "float32", new byte[8], "{\"dtype\":\"uint16\",\"scale\":2,\"min\":0}"),
        ];
        var graph = Build("graph-model", "{\"node\":[]}", graphWeights, 30);
        // A bare weights manifest (face-api.js style) over the graph model's shards.
        var bare = new Dictionary<string, byte[]>(graph, StringComparer.Ordinal);
        using (var doc = System.Text.Json.JsonDocument.Parse(graph["model.json"]))
        {
            bare.Remove("model.json");
            bare["w-weights_manifest.json"] = System.Text.Encoding.UTF8.GetBytes(doc.RootElement.GetProperty("weightsManifest").GetRawText());
        }
        return
        [
            new("tfjs-layers-json", layers, "model.json", ".", []),
            new("tfjs-layers-shard", layers, "group1-shard1of2.bin", ".", []),
            new("tfjs-graph-json", graph, "model.json", "model.json", []),
            new("tfjs-graph-shard", graph, "group1-shard2of2.bin", ".", []),
            new("tfjs-bare-manifest", bare, "w-weights_manifest.json", "w-weights_manifest.json", []),
        ];
    }

    [Fact]
    public async Task Mutated_tfjs_models_are_read_or_refused_with_ModelFormatException_only()
    {
        var seeds = Seeds();
        var report = await FormatFuzzer.RunAsync(_dir.Path, seeds, new FuzzOptions
        {
            Exercise = path => ModelFiles.OpenAndReadAll(path),
            CasesPerSeed = CasesPerSeed,
            RandomSeed = 20261130,
        });
        report.AssertNoProblems();
        report.AssertExercised(seeds.Count * CasesPerSeed, minRejected: 0.1, minAccepted: 0.02);
    }
}
