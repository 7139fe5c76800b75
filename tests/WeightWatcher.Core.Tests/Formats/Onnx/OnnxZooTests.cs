using System.Diagnostics;
using System.Globalization;
using System.Text;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Onnx;
using WeightWatcher.Core.Formats.Onnx.Proto;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tensors;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Formats.Onnx;

/// <summary>
/// Real ONNX models from NuGet packages (always restored with the test project, so these tests run
/// everywhere), opened through content detection and analyzed end to end.
/// </summary>
public sealed class OnnxZooTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// The ML.NET featurizer's ResNet18 (a CNTK export, ir_version 3, weights in packed float_data fields):
    /// 110 initializers. It is the feature
    /// extractor, so there is no fc layer; batch norm is not folded (scale, bias, mean and variance of
    /// each of the 22 batch norms are 1-D initializers). The 22 convolutions: the 7x7 stem, 18 3x3 and
    /// 3 1x1 downsampling convolutions.
    /// </summary>
    [Fact]
    public void ResNet18_from_its_package_analyzes_every_convolution()
    {
        string path = OnnxZooModels.ResNet18Path;
        Assert.Equal(ModelFileKind.Onnx, ModelOpener.Detect(path));
        using var reader = ModelOpener.Open(path);
        Assert.Equal("onnx", reader.FormatName);
        Assert.Equal(110, reader.Tensors.Count);
        Assert.All(reader.Tensors, t => Assert.Equal(DType.F32, t.DType));
        Assert.Equal(Enumerable.Range(0, 110), reader.DeclaredLayers!.Select(l => l.LayerId));

        var all = LayerEnumerator.EnumerateAll(reader);
        var convs = all.Where(l => l.Type == LayerType.Conv2D).ToList();
        Assert.Equal(22, convs.Count);
        Assert.DoesNotContain(all, l => l.Type == LayerType.Dense);
        Assert.Equal(88, all.Count(l => l.Type == LayerType.Unknown && l.Tensor.Rank == 1));
        Assert.Equal(1, convs.Count(l => l.Rf == 49));
        Assert.Equal(18, convs.Count(l => l.Rf == 9));
        Assert.Equal(3, convs.Count(l => l.Rf == 1));
        var stem = Assert.Single(convs, l => l.Rf == 49);
        Assert.Equal(("Parameter91", 18, 64, 3), (stem.Name, stem.LayerId, stem.N, stem.M));
        Assert.Equal([64L, 3, 7, 7], stem.Tensor.Shape);
        Assert.Equal([(128L, 64L), (256, 128), (512, 256)], convs.Where(l => l.Rf == 1).Select(l => (l.Tensor.Shape[0], l.Tensor.Shape[1])));
        Assert.Equal(5, convs.Count(l => l.Tensor.Shape.SequenceEqual([512L, 512, 3, 3])));

        // Opening walks the 63.7 MB file without copying tensor bytes: it allocates a small fraction of it.
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var again = OnnxReader.Open(path))
        {
            Assert.Equal(110, again.Tensors.Count);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Current.SendDiagnosticMessage($"ResNet18: opening allocated {allocated / 1024} KiB for a {new FileInfo(path).Length / 1024} KiB file");
        Assert.True(allocated < 4L << 20, $"opening allocated {allocated} bytes");

        var result = Analyze(reader, "ResNet18");
        Assert.Empty(result.Failures);
        Assert.Equal(convs.Select(l => l.LayerId), result.Rows.Select(r => r.Layer.LayerId));
        AssertSensible(result);
    }

    /// <summary>
    /// all-MiniLM-L6-v2 (exported from PyTorch; 148 initializers): word embeddings 30522x384 (analyzed:
    /// N is under max_N 50000), position embeddings 512x384, token-type embeddings 2x384 (M = 2 is under
    /// min_evals), six encoder layers of four 384x384 projections and the 384x1536 / 1536x384 feed-forward
    /// pair (stored transposed for MatMul, under numeric names), and the 384x384 pooler: 39 analyzed layers.
    /// </summary>
    [Fact]
    public void MiniLM_from_its_package_analyzes_embeddings_and_every_dense_layer()
    {
        string path = OnnxZooModels.ExtractMiniLM(_dir.File("all-MiniLM-L6-v2.onnx"));
        Assert.Equal(ModelFileKind.Onnx, ModelOpener.Detect(path));
        using var reader = ModelOpener.Open(path);
        Assert.Equal(148, reader.Tensors.Count);
        var all = LayerEnumerator.EnumerateAll(reader);
        var dense = all.Where(l => l.Type == LayerType.Dense).ToList();
        Assert.Equal(40, dense.Count);
        Assert.Equal(25, dense.Count(l => l.N == 384 && l.M == 384));
        Assert.Equal(12, dense.Count(l => l.N == 1536 && l.M == 384));
        var words = Assert.Single(dense, l => l.Name == "embeddings.word_embeddings.weight");
        Assert.Equal((1, 30522, 384), (words.LayerId, words.N, words.M));
        Assert.Equal(45, all.Count(l => l.Tensor.DType == DType.I64));

        var options = new AnalysisOptions();
        var supported = Analyzer.Describe(reader, options);
        Assert.Equal(39, supported.Count);
        Assert.DoesNotContain(supported, l => l.Name == "embeddings.token_type_embeddings.weight");

        var result = Analyze(reader, "MiniLM");
        Assert.Empty(result.Failures);
        Assert.Equal(supported.Select(l => l.LayerId), result.Rows.Select(r => r.Layer.LayerId));
        var wordsRow = Assert.Single(result.Rows, r => r.Layer.LayerId == 1);
        Assert.Equal(384, wordsRow.Spectrum.Evals.Length);
        AssertSensible(result);
    }

    /// <summary>
    /// Cross-check of the walk: every initializer read through the located byte ranges equals the one
    /// decoded by the generated protobuf parser from the whole file (and numpy's widening to double).
    /// </summary>
    [Fact]
    public void Located_values_equal_those_of_the_generated_protobuf_parser()
    {
        var paths = new[] { OnnxZooModels.ResNet18Path, OnnxZooModels.ExtractMiniLM(_dir.File("minilm.onnx")) };
        foreach (var path in paths)
        {
            var parsed = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Initializer;
            using var reader = OnnxReader.Open(path);
            Assert.Equal(parsed.Count, reader.DeclaredLayers!.Count);
            int compared = 0, rawCount = 0;
            foreach (var (t, i) in reader.DeclaredLayers.Select((l, i) => (l.Weight, i)))
            {
                Assert.NotNull(t);
                var p = parsed[i];
                Assert.Equal(p.Name, t.Name);
                Assert.Equal(p.Dims, t.Shape);
                var expected = new double[t.ElementCount];
                if (p.HasRawData)
                {
                    ElementConverter.ToDouble(p.RawData.Span, t.DType, expected);
                    rawCount++;
                }
                else
                {
                    // The CNTK export keeps its weights in float_data; MiniLM's shape constants are int64_data.
                    expected = t.DType == DType.F32 ? p.FloatData.Select(v => (double)v).ToArray() : p.Int64Data.Select(v => (double)v).ToArray();
                }
                Assert.Equal(expected, reader.ReadTensor(t));
                compared++;
            }
            TestContext.Current.SendDiagnosticMessage($"{Path.GetFileName(path)}: {compared} initializers equal to the generated parser's ({rawCount} from raw_data, {compared - rawCount} from typed fields)");
        }
    }

    private static AnalysisResult Analyze(IModelReader reader, string label)
    {
        var sw = Stopwatch.StartNew();
        var result = new Analyzer(ManagedSpectralBackend.Instance).Analyze(reader, new AnalysisOptions());
        sw.Stop();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{label}: {result.Rows.Count} layers analyzed, {result.Failures.Count} failed, mean alpha {result.Rows.Average(r => r.Alpha):F3}, {sw.ElapsedMilliseconds} ms");
        foreach (var r in result.Rows)
        {
            var l = r.Layer;
            text.AppendLine(CultureInfo.InvariantCulture, $"  {l.LayerId,4} {l.Name,-42} {LayerTypes.Name(l.Type),-8} {l.Tensor.ShapeText,-20} N={l.N,-6} M={l.M,-4} rf={l.Rf,-3} alpha={r.Alpha:F3} {r.Tail.Fit.Status}");
        }
        TestContext.Current.SendDiagnosticMessage(text.ToString());
        return result;
    }

    private static void AssertSensible(AnalysisResult result)
    {
        Assert.All(result.Rows, r =>
        {
            Assert.Equal("success", r.Tail.Fit.Status);
            Assert.InRange(r.Alpha, 1.0, 20.0);
            Assert.True(r.Spectrum.LambdaMax > 0 && double.IsFinite(r.Spectrum.LambdaMax));
        });
        // Trained networks: heavy-tailed layers, mean alpha well inside the reference's usual range.
        Assert.InRange(result.Rows.Average(r => r.Alpha), 1.5, 8.0);
    }
}
