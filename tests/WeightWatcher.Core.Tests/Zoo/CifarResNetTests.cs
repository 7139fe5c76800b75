using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Zoo;

/// <summary>The real pretrained CIFAR-10 ResNet20 of ../shared/zoo, in safetensors.</summary>
public sealed class CifarResNetTests
{
    private static string ModelPath() => SharedFolder.Require(Path.Combine("zoo", "cifar10-resnet", "resnet20.safetensors"));

    [Fact]
    public void ResNet20_has_the_layers_counted_by_hand()
    {
        using var model = ModelOpener.Open(ModelPath());
        Assert.Equal(97, model.Tensors.Count);
        var layers = Analyzer.Describe(model, new AnalysisOptions());
        // 19 convolutions (stem + 3 stages x 3 blocks x 2) and the 10x64 classifier; the 19 batch-norm
        // weights are counted by the ids but are 1-D and never analyzed.
        Assert.Equal(20, layers.Count);
        Assert.Equal(19, layers.Count(l => l.Type == LayerType.Conv2D));
        Assert.Equal(39, LayerEnumerator.EnumerateAll(model.Tensors).Count);

        var stem = layers.Single(l => l.Name == "conv1");
        Assert.Equal([16L, 3, 3, 3], stem.Tensor.Shape);
        Assert.Equal((16, 3, 9, 27), (stem.N, stem.M, stem.Rf, stem.NumEvals));
        Assert.Equal(2, stem.LayerId); // lexical order: bn1.weight is id 1

        var down = layers.Single(l => l.Name == "layer2.0.conv1");
        Assert.Equal([32L, 16, 3, 3], down.Tensor.Shape);
        Assert.Equal((32, 16, 144), (down.N, down.M, down.NumEvals));

        var linear = layers.Single(l => l.Name == "linear");
        Assert.Equal([10L, 64], linear.Tensor.Shape);
        Assert.Equal((64, 10, 1, 10), (linear.N, linear.M, linear.Rf, linear.NumEvals));
        Assert.Equal(layers.Max(l => l.LayerId), linear.LayerId);

        int evals = layers.Sum(l => l.NumEvals);
        // stem 3x9; 6 stage-1 convs and the 32x16 downsample: 144; 5 stage-2 convs and the 64x32 downsample: 288;
        // 5 stage-3 convs: 576; the classifier: 10.
        Assert.Equal(27 + (7 * 144) + (6 * 288) + (5 * 576) + 10, evals);
    }

    [Fact]
    public void ResNet20_analyzes_without_error_and_with_sensible_metrics()
    {
        using var model = ModelOpener.Open(ModelPath());
        var result = new Analyzer(ManagedSpectralBackend.Instance).Analyze(model, new AnalysisOptions { MpFit = true });
        Assert.Empty(result.Failures);
        Assert.Equal(20, result.Rows.Count);
        foreach (var r in result.Rows)
        {
            Assert.Equal(r.Layer.NumEvals, r.Spectrum.Evals.Length);
            Assert.Equal("success", r.Tail.Fit.Status);
            Assert.InRange(r.Alpha, 1.0, 20.0);
            Assert.True(double.IsFinite(r.Norms.LogNorm));
            Assert.InRange(r.Norms.Entropy, 0.0, 1.0);
            Assert.True(r.Mp!.SigmaMp > 0);
        }
        Assert.InRange(result.Summary["alpha"]!.Value, 1.5, 8.0);
        TestContext.Current.SendDiagnosticMessage($"ResNet20: mean alpha {result.Summary["alpha"]:F4}, mean alpha_weighted {result.Summary["alpha_weighted"]:F4}");
    }
}
