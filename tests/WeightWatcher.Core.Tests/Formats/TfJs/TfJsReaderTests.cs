using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.TfJs;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tensors;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.TfJs.TfJsModelBuilder;

namespace WeightWatcher.Core.Tests.Formats.TfJs;

/// <summary>TF.js layers and graph models: layout across shards, Keras layer enumeration, quantization.</summary>
public sealed class TfJsReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<TfJsTestWeight> KerasWeights() =>
    [
        TfJsTestWeight.Float32("conv2d/kernel", [3, 3, 3, 16], RandomFloats(3 * 3 * 3 * 16, 1)),
        TfJsTestWeight.Float32("conv2d/bias", [16], RandomFloats(16, 2)),
        TfJsTestWeight.Float32("dense/kernel", [64, 32], RandomFloats(64 * 32, 3)),
        TfJsTestWeight.Float32("dense/bias", [32], RandomFloats(32, 4)),
        TfJsTestWeight.Float32("sequential/dense_1/kernel", [32, 10], RandomFloats(32 * 10, 5)),
        TfJsTestWeight.Float32("dense_1/bias", [10], RandomFloats(10, 6)),
    ];

    private static string KerasTopology() => Sequential(
        Layer("InputLayer", "input_1"),
        Layer("Conv2D", "conv2d"),
        Layer("MaxPooling2D", "max_pooling2d"),
        Layer("Flatten", "flatten"),
        Layer("Dense", "dense"),
        Layer("Dense", "dense_1"));

    [Fact]
    public void Layers_model_in_two_shards_follows_keras_enumeration()
    {
        var weights = KerasWeights();
        // Split in the middle of the dense kernel: its bytes span both shards.
        int split = (3 * 3 * 3 * 16 * 4) + (16 * 4) + (1000 * 4) + 2;
        string dir = WriteTo(_dir.File("layers"), Build("layers-model", KerasTopology(), weights, split));

        Assert.Equal(ModelFileKind.TfJs, ModelOpener.Detect(Path.Combine(dir, "model.json")));
        Assert.Equal(ModelFileKind.Unknown, ModelOpener.Detect(Path.Combine(dir, "group1-shard1of2.bin")));
        using var reader = ModelOpener.Open(dir);
        var tfjs = Assert.IsType<TfJsReader>(reader);
        Assert.True(tfjs.IsLayersModel);
        Assert.Equal("tfjs-layers", reader.FormatName);
        Assert.Equal(weights.Select(w => w.Name), reader.Tensors.Select(t => t.Name));
        var dense = reader.Tensors[2];
        Assert.Equal(2, tfjs.Weights[2].Segments.Count);
        Assert.Equal(RandomFloats(64 * 32, 3).Select(v => (double)v), reader.ReadTensor(dense));
        var buffer = new double[320];
        reader.ReadTensor(reader.Tensors[4], buffer);
        Assert.Equal(RandomFloats(320, 5).Select(v => (double)v), buffer);

        // Sequential: no InputLayer; ids from 0 over the layers; name = layer name; type from the class (a layer
        // without weights is never analyzed: Flatten keeps its type, other weightless layers are unknown).
        var all = LayerEnumerator.EnumerateAll(reader);
        Assert.Equal(
            [(0, "conv2d", LayerType.Conv2D), (1, "max_pooling2d", LayerType.Unknown), (2, "flatten", LayerType.Flattened), (3, "dense", LayerType.Dense), (4, "dense_1", LayerType.Dense)],
            all.Select(l => (l.LayerId, l.Name, l.Type)));
        Assert.Equal(LayerType.Flattened, reader.DeclaredLayers![2].Type);
        Assert.All(reader.DeclaredLayers, c => Assert.Equal(ConvLayout.First, c.ExpectedLayout));
        Assert.Null(reader.DeclaredLayers[1].Weight);
        // Keras Conv2D kernel (kh, kw, in, out) = (3, 3, 3, 16): kernel-first, N = out, M = in, rf = 9.
        var conv = all[0];
        Assert.Equal((16, 3, 9, ConvLayout.First), (conv.N, conv.M, conv.Rf, conv.Layout!.Value));
        Assert.Equal("conv2d/kernel", conv.Tensor.Name);
        Assert.Equal((64, 32, 1), (all[3].N, all[3].M, all[3].Rf));
        Assert.Equal((32, 10, "sequential/dense_1/kernel"), (all[4].N, all[4].M, all[4].Tensor.Name));

        var result = new Analyzer(ManagedSpectralBackend.Instance).Analyze(reader, new AnalysisOptions());
        Assert.Empty(result.Failures);
        Assert.Equal([0, 3, 4], result.Rows.Select(r => r.Layer.LayerId));
        // Pooled conv: 9 slices of 3 eigenvalues each.
        Assert.Equal(27, result.Rows[0].Layer.NumEvals);
        Assert.All(result.Rows, r => Assert.True(r.Spectrum.LambdaMax > 0));
    }

    [Fact]
    public void Functional_model_keeps_its_input_layer_and_flattens_nested_models()
    {
        string topology = "{\"model_config\":{\"class_name\":\"Functional\",\"config\":{\"name\":\"model\",\"layers\":["
            + "{\"class_name\":\"InputLayer\",\"name\":\"input_1\",\"config\":{\"name\":\"input_1\"}},"
            + Layer("Dense", "d1") + ","
            + "{\"class_name\":\"Sequential\",\"config\":{\"name\":\"inner\",\"layers\":[" + Layer("InputLayer", "inner_in") + "," + Layer("Dense", "d2") + "," + Layer("LayerNormalization", "ln") + "]}},"
            + Layer("Embedding", "emb") + "," + Layer("Conv1D", "c1") + "," + Layer("Conv2DTranspose", "ct")
            + "]}},\"keras_version\":\"2.13.1\",\"backend\":\"tensorflow\"}";
        List<TfJsTestWeight> weights =
        [
            TfJsTestWeight.Float32("d1/kernel", [12, 20], RandomFloats(240, 1)),
            TfJsTestWeight.Float32("inner/d2/kernel", [20, 11], RandomFloats(220, 2)),
            TfJsTestWeight.Float32("inner/ln/gamma", [11], RandomFloats(11, 3)),
            TfJsTestWeight.Float32("emb/embeddings", [50, 16], RandomFloats(800, 4)),
            TfJsTestWeight.Float32("c1/kernel", [3, 16, 16], RandomFloats(768, 5)),
        ];
        string dir = WriteTo(_dir.File("functional"), Build("", topology, weights));
        using var reader = ModelOpener.Open(Path.Combine(dir, "model.json"));
        var all = LayerEnumerator.EnumerateAll(reader);
        Assert.Equal(
            [(0, "input_1", LayerType.Unknown, 0), (1, "d1", LayerType.Dense, 20), (2, "d2", LayerType.Dense, 20), (3, "ln", LayerType.Norm, 0),
             (4, "emb", LayerType.Embedding, 50), (5, "c1", LayerType.Unknown, 0), (6, "ct", LayerType.Unknown, 0)],
            all.Select(l => (l.LayerId, l.Name, l.Type, l.N)));
    }

    [Fact]
    public void Graph_model_follows_state_dict_rules_over_every_weight()
    {
        var i32 = new byte[12];
        BitConverter.TryWriteBytes(i32, 7);
        BitConverter.TryWriteBytes(i32.AsSpan(4), -1);
        List<TfJsTestWeight> weights =
        [
            TfJsTestWeight.Float32("StatefulPartitionedCall/model/dense/MatMul", [20, 12], RandomFloats(240, 1)),
            new("Const", [3], "int32", i32),
            new("hash_table/keys", [3], "string", [2, 0, 0, 0, (byte)'a', (byte)'b', 0, 0, 0, 0, 3, 0, 0, 0, (byte)'x', (byte)'y', (byte)'z']),
            TfJsTestWeight.Float32("StatefulPartitionedCall/model/conv2d/Conv2D", [3, 3, 4, 12], RandomFloats(432, 2)),
            TfJsTestWeight.Float32("StatefulPartitionedCall/model/dense/BiasAdd", [12], RandomFloats(12, 3)),
        ];
        string dir = WriteTo(_dir.File("graph"), Build("graph-model", "{\"node\":[{\"name\":\"x\",\"op\":\"Placeholder\"}]}", weights, 100));
        using var reader = ModelOpener.Open(dir);
        var tfjs = Assert.IsType<TfJsReader>(reader);
        Assert.False(tfjs.IsLayersModel);
        Assert.Null(reader.DeclaredLayers);
        // The string weight is stepped over (not listed); the weights after it are read from the right bytes.
        Assert.DoesNotContain(reader.Tensors, t => t.Name == "hash_table/keys");
        Assert.Equal(RandomFloats(432, 2).Select(v => (double)v), reader.ReadTensor(reader.Tensors[2]));
        Assert.Equal([7.0, -1, 0], reader.ReadTensor(reader.Tensors[1]));
        Assert.Equal(DType.I32, reader.Tensors[1].DType);
        var all = LayerEnumerator.EnumerateAll(reader);
        Assert.Equal(
            // The (3, 3, 4, 12) kernel is expected (out, in, kh, kw) in a graph model, as in any state dict: the flip path.
            [(1, LayerType.Dense, 20, 12, 1), (2, LayerType.Unknown, 0, 0, 1), (3, LayerType.Conv2D, 3, 3, 48), (4, LayerType.Unknown, 0, 0, 1)],
            all.Select(l => (l.LayerId, l.Type, l.N, l.M, l.Rf)));
        var result = new Analyzer(ManagedSpectralBackend.Instance).Analyze(reader, new AnalysisOptions());
        Assert.Empty(result.Failures);
        Assert.Equal([1, 3], result.Rows.Select(r => r.Layer.LayerId));
    }

    [Fact]
    public void Affine_quantized_weights_dequantize_to_exact_values()
    {
        var u8 = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var u16Values = new ushort[] { 0, 1, 2, 1000, 65535, 32768 };
        var u16 = new byte[u16Values.Length * 2];
        for (int i = 0; i < u16Values.Length; i++)
        {
            BitConverter.TryWriteBytes(u16.AsSpan(i * 2), u16Values[i]);
        }
        var f16 = new byte[8];
        float[] halves = [1.5f, -0.25f, 65504f, 0.0009765625f];
        for (int i = 0; i < 4; i++)
        {
            BitConverter.TryWriteBytes(f16.AsSpan(i * 2), (Half)halves[i]);
        }
        List<TfJsTestWeight> weights =
        [
            new("q8/kernel", [16, 16], "float32", u8, "{\"dtype\":\"uint8\",\"scale\":0.5,\"min\":-1}"),
            new("q16/kernel", [2, 3], "float32", u16, "{\"dtype\":\"uint16\",\"scale\":0.25,\"min\":10}"),
            new("qf16/kernel", [2, 2], "float32", f16, "{\"dtype\":\"float16\"}"),
            new("q8odd/kernel", [3], "float32", [0, 7, 255], "{\"dtype\":\"uint8\",\"scale\":0.1,\"min\":-0.3}"),
            new("plainf16/kernel", [2, 2], "float16", f16),
        ];
        string dir = WriteTo(_dir.File("quant"), Build("layers-model", Sequential(Layer("Dense", "q8"), Layer("Dense", "q16"), Layer("Dense", "qf16"), Layer("Dense", "q8odd"), Layer("Dense", "plainf16")), weights, 200, 260));
        using var reader = ModelOpener.Open(dir);
        Assert.Equal(Enumerable.Range(0, 256).Select(q => (q * 0.5) - 1), reader.ReadTensor(reader.Tensors[0]));
        Assert.Equal([10.0, 10.25, 10.5, 260, 65535 * 0.25 + 10, 8202], reader.ReadTensor(reader.Tensors[1]));
        Assert.Equal(halves.Select(h => (double)h), reader.ReadTensor(reader.Tensors[2]));
        // Not exact in binary: TF.js computes q * scale + min in doubles and stores a float32.
        Assert.Equal([(double)(float)-0.3, (double)(float)((7 * 0.1) - 0.3), (double)(float)((255 * 0.1) - 0.3)], reader.ReadTensor(reader.Tensors[3]));
        Assert.Equal([DType.F32, DType.F32, DType.F32, DType.F32, DType.F16], reader.Tensors.Select(t => t.DType));
        Assert.Equal([256L, 12, 8, 3, 8], reader.Tensors.Select(t => t.ByteLength));
        Assert.Equal(halves.Select(h => (double)h), reader.ReadTensor(reader.Tensors[4]));
    }
}
