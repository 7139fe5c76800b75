using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Layers;

namespace WeightWatcher.Core.Tests.RealWorld;

/// <summary>
/// Every real file of the test bed (RealWorld/README.md), one or more per format, each written by its
/// format's own framework: it opens as that format, and our layer list (ids, names, weight shapes, types,
/// N, M, rf, and which layers pass the default filters) is the one derived from the framework's own
/// description of the model (Expected/&lt;file&gt;.layers.csv, written by Drivers/describe_frameworks.py).
/// </summary>
public sealed class FrameworkDescriptionTests(ITestOutputHelper output)
{
    /// <summary>Test-bed key -> the format our reader must report for it.</summary>
    public static readonly IReadOnlyDictionary<string, string> Formats = new Dictionary<string, string>
    {
        ["burn-complex_nested.safetensors"] = "safetensors",
        ["burn-multi_layer.safetensors"] = "safetensors",
        ["resnet20.safetensors"] = "safetensors",
        ["burn-complex_nested.pt"] = "pytorch",
        ["resnet20-statedict.pt"] = "pytorch",
        ["resnet20-12fca82f.th"] = "pytorch-legacy",
        ["resnet32-d509ac18.th"] = "pytorch-legacy",
        ["resnet44-014dd654.th"] = "pytorch-legacy",
        ["resnet56-4bfd9763.th"] = "pytorch-legacy",
        ["resnet18.onnx"] = "onnx",
        ["all-minilm-l6-v2.onnx"] = "onnx",
        ["snowflake-arctic-embed-xs.onnx"] = "onnx",
        ["str_ww_model.h5"] = "keras-h5",
        ["trainedResnet_20201214_1120.h5"] = "keras-h5",
        ["trainedResnet_20201216_945.h5"] = "keras-h5",
        ["minilm-l6-layer0.gguf"] = "gguf",
        ["nsfwjs-mobilenet_v2"] = "tfjs-layers",
        ["nsfwjs-inception_v3"] = "tfjs-layers",
        ["nsfwjs-mobilenet_v2_mid"] = "tfjs-graph",
        ["carex_15_data.npz"] = "npz",
        ["stable-Z1-pdf-sample-data.npy"] = "npy",
    };

    public static TheoryData<string> Files() => new(Formats.Keys);

    [Theory]
    [MemberData(nameof(Files))]
    public void Layers_match_the_framework_description(string file)
    {
        string path = RealFiles.Locate(file);
        var expected = DescribedLayer.Read(RealFiles.Expected(file + ".layers.csv"));
        using var reader = ModelOpener.Open(path);
        Assert.Equal(Formats[file], reader.FormatName);
        var all = LayerEnumerator.EnumerateAll(reader);
        var supported = Analyzer.Describe(reader, new AnalysisOptions());
        var problems = DescribedLayer.Differences(expected, all, supported);
        output.WriteLine($"{file} ({reader.FormatName}): {all.Count} layers listed, {supported.Count} analyzed; " +
            $"framework description: {expected.Count} layers, {expected.Count(e => e.Analyzed)} analyzed; {problems.Count} differences");
        foreach (var p in problems)
        {
            output.WriteLine("  " + p);
        }
        Assert.True(problems.Count == 0, $"{file}: {problems.Count} differences from the framework's description:\n  " + string.Join("\n  ", problems.Take(30)));
    }

    /// <summary>
    /// The ONNX graph decides what an initializer is: every weight a Conv node consumes (input 1) must be
    /// typed conv2d by us, and every 2-D weight a Gemm or MatMul consumes must be typed dense.
    /// </summary>
    [Theory]
    [InlineData("resnet18.onnx")]
    [InlineData("all-minilm-l6-v2.onnx")]
    [InlineData("snowflake-arctic-embed-xs.onnx")]
    public void Onnx_initializers_are_typed_as_the_graph_consumes_them(string file)
    {
        var expected = DescribedLayer.Read(RealFiles.Expected(file + ".layers.csv"));
        using var reader = ModelOpener.Open(RealFiles.Locate(file));
        var ours = LayerEnumerator.EnumerateAll(reader).ToDictionary(l => l.Name, StringComparer.Ordinal);
        var conv = expected.Where(e => e.FrameworkClass.Split(' ').Contains("Conv[1]")).ToList();
        var matmul = expected.Where(e => e.Shape?.Length == 2 && e.FrameworkClass.Split(' ').Any(c => c is "Gemm[1]" or "MatMul[1]" or "MatMul[0]")).ToList();
        Assert.NotEmpty(conv.Concat(matmul));
        Assert.All(conv, e => Assert.Equal(LayerType.Conv2D, ours[e.Name].Type));
        Assert.All(matmul, e => Assert.Equal(LayerType.Dense, ours[e.Name].Type));
        output.WriteLine($"{file}: {conv.Count} Conv weights typed conv2d, {matmul.Count} Gemm/MatMul weights typed dense");
    }
}
