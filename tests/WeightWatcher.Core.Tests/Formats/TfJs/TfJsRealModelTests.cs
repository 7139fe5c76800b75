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
        Assert.Equal(
            [(1, "dense0/conv0/filters", LayerType.Conv2D, 32, 3, 9), (27, "fc/weights", LayerType.Dense, 136, 128, 1)],
            result.Rows.Select(r => (r.Layer.LayerId, r.Layer.Name, r.Layer.Type, r.Layer.N, r.Layer.M, r.Layer.Rf)));
        Assert.All(result.Rows, r => Assert.True(double.IsFinite(r.Alpha) && r.Spectrum.LambdaMax > 0));
    }

    [Fact]
    public void A_bare_manifest_with_a_missing_bin_is_a_clear_error()
    {
        using var dir = new Support.TempDir();
        string manifest = dir.File("m-weights_manifest.json");
        File.Copy(Manifest, manifest);
        ModelFiles.AssertOpenRejected(manifest, null, "shard 'face_landmark_68_tiny_model.bin' is missing");
    }
}
