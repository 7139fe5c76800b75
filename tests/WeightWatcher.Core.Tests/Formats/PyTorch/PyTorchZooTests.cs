using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.PyTorch;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Formats.PyTorch;

/// <summary>
/// The real CIFAR-10 ResNets of ../shared/zoo: four legacy <c>.th</c> checkpoints, and ResNet20 in three
/// encodings (legacy .th, zip .pt, safetensors) that hold identical float32 values and so must give
/// identical metrics.
/// </summary>
public sealed class PyTorchZooTests
{
    private static string Zoo(string file) => SharedFolder.Require(Path.Combine("zoo", "cifar10-resnet", file));

    [Theory]
    [InlineData("resnet20-12fca82f.th", 20)]
    [InlineData("resnet32-d509ac18.th", 32)]
    [InlineData("resnet44-014dd654.th", 44)]
    [InlineData("resnet56-4bfd9763.th", 56)]
    public void Legacy_checkpoints_analyze_without_failures(string file, int layers)
    {
        string path = Zoo(file);
        Assert.Equal(ModelFileKind.PyTorchLegacy, ModelOpener.Detect(path));
        using var model = ModelOpener.Open(path);
        Assert.Equal("pytorch-legacy", model.FormatName);
        // 'state_dict' unwrapped; the DataParallel 'module.' prefix removed from every key.
        Assert.DoesNotContain(model.Tensors, t => t.Name.StartsWith("module.", StringComparison.Ordinal));
        Assert.Equal("conv1.weight", model.Tensors[0].Name);
        var result = new Analyzer(ManagedSpectralBackend.Instance).Analyze(model, new AnalysisOptions());
        Assert.Empty(result.Failures);
        Assert.Equal(layers, result.Rows.Count);
        Assert.Equal(layers - 1, result.Rows.Count(r => r.Layer.Type == LayerType.Conv2D));
        Assert.Equal("linear", result.Rows[^1].Layer.Name);
        foreach (var r in result.Rows)
        {
            Assert.InRange(r.Alpha, 1.0, 20.0);
            Assert.True(double.IsFinite(r.Norms.LogNorm));
        }
        TestContext.Current.SendDiagnosticMessage($"{file}: {result.Rows.Count} layers, mean alpha {result.Rows.Average(r => r.Alpha):F4}");
    }

    [Fact]
    public void ResNet20_legacy_keys_keep_module_prefix_when_asked()
    {
        using var model = PyTorchReader.OpenLegacy(Zoo("resnet20-12fca82f.th"), stripDataParallelPrefix: false);
        Assert.Equal(97, model.Tensors.Count);
        Assert.All(model.Tensors, t => Assert.StartsWith("module.", t.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void ResNet20_zip_legacy_and_safetensors_hold_the_same_tensors()
    {
        using var legacy = ModelOpener.Open(Zoo("resnet20-12fca82f.th"));
        using var zip = ModelOpener.Open(Zoo("resnet20-statedict.pt"));
        using var safe = ModelOpener.Open(Zoo("resnet20.safetensors"));
        Assert.Equal("pytorch", zip.FormatName);
        // The zip form adds int64 num_batches_tracked counters the legacy checkpoint predates.
        var safeByName = safe.Tensors.ToDictionary(t => t.Name);
        var zipByName = zip.Tensors.ToDictionary(t => t.Name);
        Assert.Equal(safe.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), zip.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        int compared = 0;
        foreach (var t in legacy.Tensors)
        {
            var z = zipByName[t.Name];
            var s = safeByName[t.Name];
            Assert.Equal(s.Shape, t.Shape);
            Assert.Equal(s.DType, t.DType);
            var values = legacy.ReadTensor(t);
            Assert.Equal(safe.ReadTensor(s), values);
            Assert.Equal(zip.ReadTensor(z), values);
            compared++;
        }
        foreach (var z in zip.Tensors)
        {
            Assert.Equal(safe.ReadTensor(safeByName[z.Name]), zip.ReadTensor(z));
        }
        Assert.True(compared >= 58, $"compared {compared} tensors");
        TestContext.Current.SendDiagnosticMessage($"ResNet20: legacy {legacy.Tensors.Count}, zip {zip.Tensors.Count}, safetensors {safe.Tensors.Count} tensors; {compared} legacy tensors bit-identical to both");
    }

    [Fact]
    public void ResNet20_three_encodings_give_identical_metrics_by_layer_name()
    {
        var options = new AnalysisOptions();
        var analyzer = new Analyzer(ManagedSpectralBackend.Instance);
        AnalysisResult Run(string file)
        {
            using var m = ModelOpener.Open(Zoo(file));
            return analyzer.Analyze(m, options);
        }
        var legacy = Run("resnet20-12fca82f.th");
        var zip = Run("resnet20-statedict.pt");
        var safe = Run("resnet20.safetensors");
        Assert.Empty(legacy.Failures);
        Assert.Empty(zip.Failures);
        Assert.Empty(safe.Failures);
        Assert.Equal(20, legacy.Rows.Count);
        Assert.Equal(20, zip.Rows.Count);
        Assert.Equal(20, safe.Rows.Count);
        var columns = LayerTable.AnalyzeColumns(options).Where(c => c != "layer_id").ToList();
        var safeByName = safe.Rows.ToDictionary(r => r.Layer.Name);
        var zipByName = zip.Rows.ToDictionary(r => r.Layer.Name);
        int values = 0;
        foreach (var row in legacy.Rows)
        {
            foreach (var other in new[] { zipByName[row.Layer.Name], safeByName[row.Layer.Name] })
            {
                Assert.Equal(other.Spectrum.Evals, row.Spectrum.Evals);
                Assert.Equal(other.Alpha, row.Alpha);
                Assert.Equal(other.Norms.LogNorm, row.Norms.LogNorm);
                Assert.Equal(other.Spectrum.LambdaMax, row.Spectrum.LambdaMax);
                foreach (var c in columns)
                {
                    Assert.True(Equals(LayerTable.Value(other, c), LayerTable.Value(row, c)), $"{row.Layer.Name} {c}: {LayerTable.Value(row, c)} vs {LayerTable.Value(other, c)}");
                    values++;
                }
            }
        }
        // Dict order is kept by both PyTorch forms: identical ids; safetensors lists keys lexically.
        Assert.Equal(legacy.Rows.Select(r => (r.Layer.LayerId, r.Layer.Name)), zip.Rows.Select(r => (r.Layer.LayerId, r.Layer.Name)));
        Assert.NotEqual(legacy.Rows.Select(r => r.Layer.LayerId), legacy.Rows.Select(r => safeByName[r.Layer.Name].Layer.LayerId));
        TestContext.Current.SendDiagnosticMessage($"ResNet20: {values} metric values identical across .th, .pt and .safetensors ({columns.Count} columns x 20 layers x 2 comparisons)");
    }
}
