using System.Runtime.CompilerServices;
using System.Text.Json;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.TfJs;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Tests.Formats.TfJs;

/// <summary>A real TF.js model (face-api's tiny landmark net, uint8-quantized) read from the test sources.</summary>
public sealed class TfJsRealModelTests
{
    private static string FixtureDir([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Fixtures");

    private static string Manifest => Path.Combine(FixtureDir(), "face_landmark_68_tiny_model-weights_manifest.json");

    [Fact]
    public void Face_api_landmark_model_reads_and_analyzes()
    {
        Assert.True(File.Exists(Manifest), $"fixture missing: {Manifest}");
        Assert.Equal(ModelFileKind.TfJs, ModelOpener.Detect(Manifest));
        using var reader = ModelOpener.Open(Manifest);
        var tfjs = Assert.IsType<TfJsReader>(reader);
        Assert.True(tfjs.IsBareManifest);
        Assert.Equal("tfjs-weights", reader.FormatName);
        Assert.Equal(28, reader.Tensors.Count);
        Assert.All(reader.Tensors, t => Assert.Equal(DType.F32, t.DType));
        Assert.All(tfjs.Weights, w => Assert.Equal(DType.U8, w.Quantization!.StoredType));

        // The first weight's first values, decoded here from the raw bytes and the manifest's scale and min.
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Manifest));
        var first = doc.RootElement[0].GetProperty("weights")[0];
        double scale = first.GetProperty("quantization").GetProperty("scale").GetDouble();
        double min = first.GetProperty("quantization").GetProperty("min").GetDouble();
        var raw = File.ReadAllBytes(Path.Combine(FixtureDir(), "face_landmark_68_tiny_model.bin"));
        var values = reader.ReadTensor(reader.Tensors[0]);
        Assert.Equal(3 * 3 * 3 * 32, values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal((double)(float)((raw[i] * scale) + min), values[i]);
        }
        long total = tfjs.Weights.Sum(w => w.Info.ByteLength);
        Assert.Equal(raw.Length, total);

        var result = new Analyzer(ManagedSpectralBackend.Instance).Analyze(reader, new AnalysisOptions());
        Assert.Empty(result.Failures);
        // A bare manifest is a state dict to the reference: kernels are expected (out, in, kh, kw), and these
        // kernel-first (3, 3, in, out) tensors take its flip path: 3 x 3 slices W[:, :, i, j], N = M = 3,
        // rf = in * out. Depthwise (3, 3, C, 1) filters then yield 3 * C eigenvalues and are analyzed.
        Assert.Equal(
            [(1, "dense0/conv0/filters", LayerType.Conv2D, 3, 3, 96), (3, "dense0/conv1/depthwise_filter", LayerType.Conv2D, 3, 3, 32)],
            result.Rows.Take(2).Select(r => (r.Layer.LayerId, r.Layer.Name, r.Layer.Type, r.Layer.N, r.Layer.M, r.Layer.Rf)));
        Assert.Equal([1, 3, 6, 9, 12, 15, 18, 21, 24, 27], result.Rows.Select(r => r.Layer.LayerId));
        Assert.Equal((27, "fc/weights", LayerType.Dense, 136, 128, 1), result.Rows.Select(r => (r.Layer.LayerId, r.Layer.Name, r.Layer.Type, r.Layer.N, r.Layer.M, r.Layer.Rf)).Last());
        Assert.Equal(288, result.Rows[0].Spectrum.Evals.Length);
        // dense0/conv2's depthwise filter is all zeros in this file (every quantized byte decodes to 0): its
        // spectrum is zero and its fit fails; every other layer has a real spectrum.
        var zero = Assert.Single(result.Rows, r => reader.ReadTensor(r.Layer.Tensor).All(v => v == 0));
        Assert.Equal("dense0/conv2/depthwise_filter", zero.Layer.Name);
        Assert.Equal((0.0, "failed"), (zero.Spectrum.LambdaMax, zero.Tail.Fit.Status));
        Assert.All(result.Rows.Where(r => r != zero), r => Assert.True(double.IsFinite(r.Alpha) && r.Spectrum.LambdaMax > 0));
    }

    [Fact]
    public void A_bare_manifest_with_a_missing_bin_is_a_clear_error()
    {
        using var dir = new TempDir();
        string manifest = dir.File("m-weights_manifest.json");
        File.Copy(Manifest, manifest);
        ModelFiles.AssertOpenRejected(manifest, null, "shard 'face_landmark_68_tiny_model.bin' is missing");
    }
}
