using PureHDF;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Support;
using F = WeightWatcher.Core.Tests.Formats.Keras.KerasH5Fixtures;

namespace WeightWatcher.Core.Tests.Formats.Keras;

/// <summary>
/// Keras kernels are expected kernel-first (kh, kw, in, out), and the layer class, not the shape, types a
/// layer: 1x1 Conv2D kernels and DepthwiseConv2D kernels are Conv2D layers, a kernel whose shape looks
/// (out, in, kh, kw) takes the reference's flip path, and recurrent layers are skipped with their class
/// named. Weightless layers carry Keras's empty float64 <c>weight_names</c>. Each layer's eigenvalues are
/// checked against the same tensor in PyTorch layout read through the state-dict route (whose parity with
/// the reference the golden and real-world tests establish); N, M and rf against the reference's rules.
/// </summary>
public sealed class KerasConvLayoutTests
{
    /// <summary>(layer name, Keras class, kernel shape, expected N, M, rf, eigenvalue count).</summary>
    private static readonly (string Name, string Class, int[] Shape, int N, int M, int Rf, int Evals)[] Kernels =
    [
        ("conv_flip", "Conv2D", [3, 3, 4, 2], 4, 2, 9, 18), // 3 + 3 >= 4 + 2: detected (out, in, kh, kw), flip path
        ("pointwise", "Conv2D", [1, 1, 16, 32], 32, 16, 1, 16), // a 1x1 Conv2D: rf = 1, analyzed
        ("depthwise_odd", "DepthwiseConv2D", [3, 3, 8, 1], 8, 1, 9, 9), // 9 transposed slices: N = max
        ("depthwise_even", "DepthwiseConv2D", [2, 2, 8, 1], 1, 8, 4, 4), // 4 transposed slices: swapped back (quirk Q2)
        ("dense", "Dense", [24, 12], 24, 12, 1, 12),
    ];

    private static float[] KernelValues(int index, int[] shape) => F.Values(100 + (ulong)index, shape.Aggregate(1, (a, b) => a * b));

    private static void WriteModel(string path)
    {
        var weights = new H5Group { Attributes = new() { ["backend"] = "tensorflow", ["keras_version"] = "2.14.0" } };
        var names = new List<string> { "input_1" };
        // h5py writes an empty weight_names list as a float64 array of shape (0,).
        weights["input_1"] = new H5Group { Attributes = new() { ["weight_names"] = Array.Empty<double>() } };
        for (int i = 0; i < Kernels.Length; i++)
        {
            var k = Kernels[i];
            string kernelName = k.Class == "DepthwiseConv2D" ? "depthwise_kernel:0" : "kernel:0";
            names.Add(k.Name);
            weights[k.Name] = new H5Group
            {
                Attributes = new() { ["weight_names"] = new[] { $"{k.Name}/{kernelName}" } },
                [k.Name] = new H5Group { [kernelName] = F.Data(KernelValues(i, k.Shape), k.Shape.Select(d => (ulong)d).ToArray()) },
            };
        }
        names.Add("lstm");
        weights["lstm"] = new H5Group
        {
            Attributes = new() { ["weight_names"] = new[] { "lstm/lstm_cell/kernel:0" } },
            ["lstm"] = new H5Group { ["lstm_cell"] = new H5Group { ["kernel:0"] = F.Data(F.Values(7, 16 * 64), 16, 64) } },
        };
        names.Add("relu");
        weights["relu"] = new H5Group { Attributes = new() { ["weight_names"] = Array.Empty<double>() } };
        weights.Attributes["layer_names"] = names.ToArray();
        string layers = string.Join(", ", new[] { """{"class_name": "InputLayer", "config": {"name": "input_1"}}""" }
            .Concat(Kernels.Select(k => "{\"class_name\": \"" + k.Class + "\", \"config\": {\"name\": \"" + k.Name + "\"}}"))
            .Append("""{"class_name": "LSTM", "config": {"name": "lstm"}}""")
            .Append("""{"class_name": "ReLU", "config": {"name": "relu"}}"""));
        var file = new H5File
        {
            Attributes = new() { ["model_config"] = """{"class_name": "Functional", "config": {"name": "model", "layers": [""" + layers + "]}}" },
            ["model_weights"] = weights,
        };
        file.Write(path, F.Options);
    }

    /// <summary>Each kernel in PyTorch layout: Conv2D (out, in, kh, kw), depthwise (in, mult, kh, kw), Dense (out, in).</summary>
    private static void WriteStateDict(string path)
    {
        var tensors = new List<NamedTensor>();
        for (int i = 0; i < Kernels.Length; i++)
        {
            var (name, cls, s, _, _, _, _) = Kernels[i];
            bool depthwise = cls == "DepthwiseConv2D";
            var v = KernelValues(i, s);
            if (s.Length == 2)
            {
                var t = new float[v.Length];
                for (int a = 0; a < s[0]; a++)
                {
                    for (int b = 0; b < s[1]; b++)
                    {
                        t[b * s[0] + a] = v[a * s[1] + b];
                    }
                }
                tensors.Add(new NamedTensor(name + ".weight", [s[1], s[0]], t));
                continue;
            }
            var conv = new float[v.Length];
            for (int y = 0; y < s[0]; y++)
            {
                for (int x = 0; x < s[1]; x++)
                {
                    for (int c = 0; c < s[2]; c++)
                    {
                        for (int o = 0; o < s[3]; o++)
                        {
                            int target = depthwise ? ((c * s[3] + o) * s[0] + y) * s[1] + x : ((o * s[2] + c) * s[0] + y) * s[1] + x;
                            conv[target] = v[((y * s[1] + x) * s[2] + c) * s[3] + o];
                        }
                    }
                }
            }
            tensors.Add(new NamedTensor(name + ".weight", depthwise ? [s[2], s[3], s[0], s[1]] : [s[3], s[2], s[0], s[1]], conv));
        }
        SafetensorsWriter.Write(path, tensors);
    }

    [Fact]
    public void Keras_kernels_are_typed_by_class_and_sliced_kernel_first_with_the_flip_path()
    {
        using var dir = new TempDir();
        string h5 = dir.File("layouts.h5");
        WriteModel(h5);
        using var reader = ModelOpener.Open(h5);
        var options = new AnalysisOptions { MinEvals = 1 };
        var described = Analyzer.Describe(reader, options);
        Assert.Equal(Kernels.Select(k => k.Name), described.Select(l => l.Name));
        foreach (var (k, l) in Kernels.Zip(described))
        {
            Assert.Equal((k.N, k.M, k.Rf, k.Evals), (l.N, l.M, l.Rf, l.NumEvals));
            Assert.Equal(k.Class == "Dense" ? LayerType.Dense : LayerType.Conv2D, l.Type);
        }
        var skipped = LayerEnumerator.EnumerateSkipped(reader, options);
        var lstm = Assert.Single(skipped);
        Assert.Equal(("lstm", SkipKind.LayerClass), (lstm.Layer.Name, lstm.Reason.Kind));
        Assert.Contains("LSTM", lstm.Reason.Detail);
    }

    [Fact]
    public void Default_min_evals_leaves_out_only_the_depthwise_kernel_with_nine_eigenvalues()
    {
        using var dir = new TempDir();
        string h5 = dir.File("layouts.h5");
        WriteModel(h5);
        using var reader = ModelOpener.Open(h5);
        // The reference filters on M·rf: 1·9 = 9 < 10 for depthwise_odd; depthwise_even has M·rf = 8·4 = 32
        // (though only 4 eigenvalues), so it is analyzed.
        Assert.Equal(["conv_flip", "pointwise", "depthwise_even", "dense"], Analyzer.Describe(reader, new AnalysisOptions()).Select(l => l.Name));
        var skipped = LayerEnumerator.EnumerateSkipped(reader, new AnalysisOptions()).Select(s => (s.Layer.Name, s.Reason.Kind));
        Assert.Equal([("depthwise_odd", SkipKind.BelowMinEvals), ("lstm", SkipKind.LayerClass)], skipped);
    }

    [Fact]
    public void Every_attribute_encoding_h5py_writes_for_Keras_reads()
    {
        // Written by h5py (make_fixtures.py): vlen-str layer and weight names, an empty float64
        // weight_names, a null-dataspace weight_names, a 1x1 Conv2D and a depthwise kernel.
        using var reader = ModelOpener.Open(KerasH5BoundedAllocationTests.Fixture("keras2_h5py_encodings.h5"));
        var all = LayerEnumerator.EnumerateAll(reader);
        Assert.Equal(["input_1", "pointwise", "re_lu", "depthwise", "dense"], all.Select(l => l.Name));
        Assert.All(new[] { all[0], all[2] }, l => Assert.Equal(SkipKind.NoWeights, l.Skip?.Kind));
        var analyzed = Analyzer.Describe(reader, new AnalysisOptions { MinEvals = 1 });
        Assert.Equal(
            [("pointwise", 24, 8, 1, 8), ("depthwise", 24, 1, 9, 9), ("dense", 24, 10, 1, 10)],
            analyzed.Select(l => (l.Name, l.N, l.M, l.Rf, l.NumEvals)));
        Assert.Empty(LayerEnumerator.EnumerateSkipped(reader, new AnalysisOptions { MinEvals = 1 }));
        // With the default min_evals of 10, M·rf = 8 and 9 leave out the pointwise and depthwise kernels.
        Assert.Equal(
            [("pointwise", SkipKind.BelowMinEvals), ("depthwise", SkipKind.BelowMinEvals)],
            LayerEnumerator.EnumerateSkipped(reader, new AnalysisOptions()).Select(s => (s.Layer.Name, s.Reason.Kind)));
    }

    [Fact]
    public void Every_kernel_has_the_eigenvalues_of_its_pytorch_layout_twin()
    {
        using var dir = new TempDir();
        string h5 = dir.File("layouts.h5");
        string st = dir.File("layouts.safetensors");
        WriteModel(h5);
        WriteStateDict(st);
        var options = new AnalysisOptions { MinEvals = 1 };
        var analyzer = new Analyzer(ManagedSpectralBackend.Instance);
        using var keras = ModelOpener.Open(h5);
        using var torch = ModelOpener.Open(st);
        var k = analyzer.Analyze(keras, options);
        var t = analyzer.Analyze(torch, options);
        Assert.Empty(k.Failures);
        Assert.Empty(t.Failures);
        foreach (var kernel in Kernels)
        {
            var kr = k.Rows.Single(r => r.Layer.Name == kernel.Name);
            var tr = t.Rows.Single(r => r.Layer.Name == kernel.Name);
            Assert.Equal(kernel.Evals, kr.Spectrum.Evals.Length);
            Assert.Equal(tr.Spectrum.Evals.Length, kr.Spectrum.Evals.Length);
            for (int i = 0; i < kr.Spectrum.Evals.Length; i++)
            {
                double a = kr.Spectrum.Evals[i], b = tr.Spectrum.Evals[i];
                Assert.True(Math.Abs(a - b) <= 1e-12 * Math.Max(1, Math.Abs(b)), $"{kernel.Name} eigenvalue {i}: keras {a} vs state dict {b}");
            }
            Assert.Equal(tr.Alpha, kr.Alpha, 10);
            Assert.Equal(tr.Norms.LogNorm, kr.Norms.LogNorm, 10);
        }
    }
}
