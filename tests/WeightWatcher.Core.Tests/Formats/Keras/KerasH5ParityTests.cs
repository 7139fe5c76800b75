using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Keras;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Metrics;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Support;
using F = WeightWatcher.Core.Tests.Formats.Keras.KerasH5Fixtures;

namespace WeightWatcher.Core.Tests.Formats.Keras;

/// <summary>
/// The Keras file and the same weights as a PyTorch-layout safetensors state dict (dense transposed to
/// (out, in), conv to (out, in, kh, kw)) must give the same N, M, rf, eigenvalues and alpha: singular
/// values do not depend on the layout, so any misreading of the HDF5 data shows up here.
/// </summary>
public sealed class KerasH5ParityTests
{
    [Theory]
    [InlineData("keras2-model", false)]
    [InlineData("keras2-weights", false)]
    [InlineData("keras3-weights", false)]
    [InlineData("keras2-model", true)]
    public void Keras_file_and_transposed_safetensors_give_the_same_spectra(string layout, bool half)
    {
        using var dir = new TempDir();
        string h5 = dir.File(layout == "keras3-weights" ? "model.weights.h5" : "model.h5");
        switch (layout)
        {
            case "keras2-model":
                F.WriteKeras2Model(h5, half);
                break;
            case "keras2-weights":
                F.WriteKeras2Weights(h5);
                break;
            default:
                F.WriteKeras3Weights(h5, configBeside: false);
                break;
        }
        string st = dir.File("model.safetensors");
        F.WriteSafetensors(st, halfDense: half);

        var options = new AnalysisOptions();
        var analyzer = new Analyzer(ManagedSpectralBackend.Instance);
        using var keras = ModelOpener.Open(h5);
        using var torch = ModelOpener.Open(st);
        Assert.IsType<KerasH5Reader>(keras);
        Assert.IsType<SafetensorsReader>(torch);
        var k = analyzer.Analyze(keras, options);
        var t = analyzer.Analyze(torch, options);
        Assert.Empty(k.Failures);
        Assert.Empty(t.Failures);

        Assert.Equal(2, k.Rows.Count);
        Assert.Equal(2, t.Rows.Count);
        foreach (var type in new[] { LayerType.Conv2D, LayerType.Dense })
        {
            var kr = k.Rows.Single(r => r.Layer.Type == type);
            var tr = t.Rows.Single(r => r.Layer.Type == type);
            Assert.Equal((tr.Layer.N, tr.Layer.M, tr.Layer.Rf), (kr.Layer.N, kr.Layer.M, kr.Layer.Rf));
            Assert.Equal(ConvLayoutOf(type, ConvLayout.First), kr.Layer.Layout);
            AssertSameSpectrum(kr, tr);
        }
    }

    private static ConvLayout? ConvLayoutOf(LayerType type, ConvLayout layout) => type == LayerType.Conv2D ? layout : null;

    private static void AssertSameSpectrum(LayerResult keras, LayerResult torch)
    {
        var a = keras.Spectrum.Evals;
        var b = torch.Spectrum.Evals;
        Assert.Equal(b.Length, a.Length);
        Assert.True(a.Length >= 32, $"only {a.Length} eigenvalues");
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-9 * Math.Max(1, Math.Abs(b[i])), $"eigenvalue {i}: keras {a[i]} vs safetensors {b[i]}");
        }
        Assert.True(torch.Alpha > 0, $"fit failed: alpha {torch.Alpha}");
        Assert.Equal(torch.Alpha, keras.Alpha, 9);
        Assert.Equal(torch.Tail.Fit.Xmin, keras.Tail.Fit.Xmin, 9);
    }

    [Fact]
    public void A_transposed_kernel_would_be_caught_by_the_comparison_of_values()
    {
        // Guard on the guard: the parity test compares values that do depend on reading the right bytes.
        using var dir = new TempDir();
        string h5 = dir.File("model.h5");
        F.WriteKeras2Model(h5);
        using var keras = KerasH5Reader.Open(h5);
        var conv = keras.ReadTensor(keras.DeclaredLayers[0].Weight!);
        // Element (y=1, x=2, in=3, out=5) of the (3, 3, 16, 32) kernel.
        Assert.Equal(F.ConvKernel[((1 * 3 + 2) * 16 + 3) * 32 + 5], conv[((1 * 3 + 2) * 16 + 3) * 32 + 5]);
        Assert.NotEqual(F.ConvKernel[0], F.ConvKernel[1]);
    }
}
