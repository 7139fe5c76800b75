using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.ModelFiles;

namespace WeightWatcher.Core.Tests.Formats;

/// <summary>
/// A layer whose weights hold NaN or infinite values is reported as a <see cref="LayerFailure"/> naming
/// the file, the tensor and the problem; the other layers are still analyzed.
/// </summary>
public sealed class NanWeightsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<float, string, string> BadValues() => new()
    {
        { float.NaN, "b.weight", "NaN" },
        { float.NaN, "a.weight", "NaN" },
        { float.PositiveInfinity, "b.weight", "infinite" },
        { float.NegativeInfinity, "a.weight", "infinite" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Non_finite_layer_becomes_a_failure_and_the_good_layer_is_analyzed(float bad, string badLayer, string word)
    {
        string path = _dir.File("model.safetensors");
        var a = Values(600, 11);
        var b = Values(600, 12);
        (badLayer == "a.weight" ? a : b)[317] = bad;
        SafetensorsWriter.Write(path, [new NamedTensor("a.weight", [20, 30], a), new NamedTensor("b.weight", [20, 30], b)]);
        string goodLayer = badLayer == "a.weight" ? "b.weight" : "a.weight";

        using var reader = ModelOpener.Open(path);
        var result = new Analyzer(ManagedSpectralBackend.Instance).Analyze(reader, new AnalysisOptions());

        var row = Assert.Single(result.Rows);
        Assert.Equal(goodLayer, row.Layer.Tensor.Name);
        Assert.Equal(20, row.Spectrum.Evals.Length);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(badLayer, failure.Layer.Tensor.Name);
        Assert.Contains(path, failure.Reason, StringComparison.Ordinal);
        Assert.Contains($"'{badLayer}'", failure.Reason, StringComparison.Ordinal);
        Assert.Contains(word, failure.Reason, StringComparison.Ordinal);
        Assert.Contains("index 317", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Finite_model_has_no_failures()
    {
        string path = _dir.File("clean.safetensors");
        SafetensorsWriter.Write(path, [new NamedTensor("a.weight", [20, 30], Values(600, 11)), new NamedTensor("b.weight", [20, 30], Values(600, 12))]);
        using var reader = ModelOpener.Open(path);
        var result = new Analyzer(ManagedSpectralBackend.Instance).Analyze(reader, new AnalysisOptions());
        Assert.Equal(2, result.Rows.Count);
        Assert.Empty(result.Failures);
    }
}
