using Google.Protobuf;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Onnx;
using WeightWatcher.Core.Formats.Onnx.Proto;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tensors;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.Onnx.OnnxFixtures;
using DataType = WeightWatcher.Core.Formats.Onnx.Proto.TensorProto.Types.DataType;

namespace WeightWatcher.Core.Tests.Formats.Onnx;

/// <summary>Small ONNX models written with the generated protobuf types: every storage form reads back exactly.</summary>
public sealed class OnnxReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static double[] Expected(float[] values) => values.Select(v => (double)v).ToArray();

    [Fact]
    public void Float32_raw_data_reads_back_through_content_detection()
    {
        var w = Values(12, 1);
        string path = Write(_dir.File("model.bin"), Model(RawFloat("fc.weight", [3, 4], w)));
        Assert.Equal(ModelFileKind.Onnx, ModelOpener.Detect(path));
        using var reader = ModelOpener.Open(path);
        Assert.IsType<OnnxReader>(reader);
        Assert.Equal("onnx", reader.FormatName);
        var t = Assert.Single(reader.Tensors);
        Assert.Equal("fc.weight", t.Name);
        Assert.Equal(DType.F32, t.DType);
        Assert.Equal([3L, 4L], t.Shape);
        Assert.Equal(Expected(w), reader.ReadTensor(t));
        var span = new double[12];
        reader.ReadTensor(t, span);
        Assert.Equal(Expected(w), span);
    }

    [Fact]
    public void Raw_data_is_a_byte_range_of_the_model_file()
    {
        var w = Values(6, 2);
        string path = Write(_dir.File("m.onnx"), Model(RawFloat("w", [2, 3], w)));
        using var reader = OnnxReader.Open(path);
        var t = reader.Tensors[0];
        Assert.Equal(path, t.SourceFile);
        Assert.Equal(24, t.ByteLength);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(FloatBytes(w), bytes.AsSpan((int)t.Offset, 24).ToArray());
    }

    [Fact]
    public void Float16_and_bfloat16_raw_data_read_back()
    {
        var h = Values(20, 3);
        var b = Values(20, 4);
        string path = Write(_dir.File("half.onnx"), Model(RawHalf("h", [4, 5], h), RawBFloat16("b", [5, 4], b)));
        using var reader = OnnxReader.Open(path);
        Assert.Equal([DType.F16, DType.BF16], reader.Tensors.Select(t => t.DType));
        Assert.Equal(Expected(h), reader.ReadTensor(reader.Tensors[0]));
        Assert.Equal(Expected(b), reader.ReadTensor(reader.Tensors[1]));
    }

    [Fact]
    public void Typed_fields_read_back_packed_and_unpacked()
    {
        var f = Values(12, 5);
        var h = Values(6, 6);
        var bf = Values(6, 7);
        var tf = Tensor("float_data", [3, 4], DataType.Float);
        tf.FloatData.AddRange(f);
        var th = Tensor("half_int32", [2, 3], DataType.Float16);
        th.Int32Data.AddRange(h.Select(v => (int)BitConverter.HalfToUInt16Bits((Half)v)));
        var tb = Tensor("bf16_int32", [3, 2], DataType.Bfloat16);
        tb.Int32Data.AddRange(bf.Select(v => (int)BFloat16Bits(v)));
        var td = Tensor("double_data", [2, 2], DataType.Double);
        td.DoubleData.AddRange([1.5, -2.25, 1e300, 0.1]);
        var tl = Tensor("int64_data", [3], DataType.Int64);
        tl.Int64Data.AddRange([-5L, 1L << 40, 7L]);
        var tu = Tensor("uint64_data", [2], DataType.Uint64);
        tu.Uint64Data.AddRange([3UL, 1UL << 63]);
        var ti = Tensor("int8_int32", [3], DataType.Int8);
        ti.Int32Data.AddRange([-128, 0, 127]);
        string path = Write(_dir.File("typed.onnx"), Model(tf, th, tb, td, tl, tu, ti));
        using var reader = OnnxReader.Open(path);
        var byName = reader.Tensors.ToDictionary(t => t.Name);
        Assert.Equal(Expected(f), reader.ReadTensor(byName["float_data"]));
        Assert.Equal(Expected(h), reader.ReadTensor(byName["half_int32"]));
        Assert.Equal(Expected(bf), reader.ReadTensor(byName["bf16_int32"]));
        Assert.Equal([1.5, -2.25, 1e300, 0.1], reader.ReadTensor(byName["double_data"]));
        Assert.Equal([-5.0, 1L << 40, 7.0], reader.ReadTensor(byName["int64_data"]));
        Assert.Equal([3.0, 9223372036854775808.0], reader.ReadTensor(byName["uint64_data"]));
        Assert.Equal([-128.0, 0, 127], reader.ReadTensor(byName["int8_int32"]));
        // A packed float_data run is plain little-endian floats: its tensor is that exact byte range.
        var packed = byName["float_data"];
        Assert.Equal(FloatBytes(f), File.ReadAllBytes(path).AsSpan((int)packed.Offset, (int)packed.ByteLength).ToArray());
        var span = new double[6];
        reader.ReadTensor(byName["half_int32"], span);
        Assert.Equal(Expected(h), span);

        string unpacked = _dir.File("unpacked.onnx");
        File.WriteAllBytes(unpacked, UnpackedFloatModel("u", [2, 3], Values(6, 8)));
        Assert.Equal(ModelFileKind.Onnx, ModelOpener.Detect(unpacked));
        using var r2 = ModelOpener.Open(unpacked);
        Assert.Equal(Expected(Values(6, 8)), r2.ReadTensor(Assert.Single(r2.Tensors)));
    }

    [Fact]
    public void External_data_reads_from_files_next_to_the_model()
    {
        var a = Values(12, 9);
        var b = Values(20, 10);
        Directory.CreateDirectory(_dir.File("weights"));
        var blob = new byte[16].Concat(FloatBytes(a)).Concat(FloatBytes(b)).ToArray();
        File.WriteAllBytes(_dir.File("weights/data.bin"), blob);
        File.WriteAllBytes(_dir.File("tail.bin"), FloatBytes(a));
        string path = Write(_dir.File("ext.onnx"), Model(
            External("a", [3, 4], DataType.Float, "weights/data.bin", 16, 48),
            External("b", [4, 5], DataType.Float, "weights/data.bin", 64, 80),
            External("c", [4, 3], DataType.Float, "tail.bin", null, null)));
        using var reader = ModelOpener.Open(path);
        Assert.Equal(Expected(a), reader.ReadTensor(reader.Tensors[0]));
        Assert.Equal(Expected(b), reader.ReadTensor(reader.Tensors[1]));
        Assert.Equal(Expected(a), reader.ReadTensor(reader.Tensors[2]));
        Assert.Equal(Path.GetFullPath(_dir.File("weights/data.bin")), reader.Tensors[0].SourceFile);
        Assert.Equal(64, reader.Tensors[1].Offset);
    }

    [Fact]
    public void Layer_ids_are_initializer_indices_counting_biases_and_unsupported_types()
    {
        var names = new TensorProto(Tensor("vocab", [2], DataType.String));
        names.StringData.Add(ByteString.CopyFromUtf8("a"));
        names.StringData.Add(ByteString.CopyFromUtf8("b"));
        string path = Write(_dir.File("ids.onnx"), Model(
            RawFloat("fc1.weight", [16, 12], Values(192, 1)),
            RawFloat("fc1.bias", [16], Values(16, 2)),
            names,
            RawFloat("conv.weight", [16, 12, 3, 3], Values(16 * 12 * 9, 3)),
            RawFloat("conv.bias", [16], Values(16, 4)),
            RawFloat("scalar", [], [2f]),
            RawFloat("fc2.weight", [10, 16], Values(160, 5))));
        using var reader = OnnxReader.Open(path);
        Assert.Equal(6, reader.Tensors.Count);
        var declared = reader.DeclaredLayers!;
        Assert.Equal(Enumerable.Range(0, 7), declared.Select(l => l.LayerId));
        Assert.Null(declared[2].Weight);
        Assert.All(declared, l => Assert.Equal(l.Name, l.LongName));
        Assert.All(declared, l => Assert.Equal(ConvLayout.Last, l.ExpectedLayout));

        var all = LayerEnumerator.EnumerateAll(reader);
        Assert.Equal(
            [LayerType.Dense, LayerType.Unknown, LayerType.Unknown, LayerType.Conv2D, LayerType.Unknown, LayerType.Unknown, LayerType.Dense],
            all.Select(l => l.Type));
        var conv = all[3];
        Assert.Equal((16, 12, 9), (conv.N, conv.M, conv.Rf));

        var options = new AnalysisOptions();
        var supported = Analyzer.Describe(reader, options);
        Assert.Equal([0, 3, 6], supported.Select(l => l.LayerId));
        Assert.Equal(["fc1.weight", "conv.weight", "fc2.weight"], supported.Select(l => l.Name));

        var result = new Analyzer(ManagedSpectralBackend.Instance).Analyze(reader, options);
        Assert.Empty(result.Failures);
        Assert.Equal([0, 3, 6], result.Rows.Select(r => r.Layer.LayerId));
    }

    [Fact]
    public void Empty_initializers_and_an_empty_graph_are_valid()
    {
        string path = Write(_dir.File("empty.onnx"), Model(Tensor("none", [0, 4], DataType.Float)));
        using var reader = OnnxReader.Open(path);
        Assert.Empty(reader.ReadTensor(Assert.Single(reader.Tensors)));

        string noInit = Write(_dir.File("noinit.onnx"), Model());
        using var r2 = ModelOpener.Open(noInit);
        Assert.Empty(r2.Tensors);
        Assert.Empty(r2.DeclaredLayers!);
    }

    [Fact]
    public void Other_formats_are_not_taken_for_onnx()
    {
        var cases = new Dictionary<string, byte[]>
        {
            ["pickle"] = [0x80, 0x02, 0x63, 0x63, 0x6f, 0x6c, 0x6c, 0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x73, 0x0a],
            ["gguf"] = [.. "GGUF"u8, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ["hdf5"] = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0],
            ["zip"] = [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, 8, 0],
            ["npy"] = [0x93, .. "NUMPY"u8, 1, 0, 0x76, 0],
            ["safetensors"] = [2, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}'],
            ["text"] = "hello, world\n"u8.ToArray(),
            ["only-ir-version"] = [0x08, 0x07],
            ["ir-version-zero"] = [0x08, 0x00, 0x3a, 0x00],
            ["docstring-beyond-eof"] = [0x08, 0x07, 0x32, 0x7f, 0x00],
            ["bad-wire-type"] = [0x08, 0x07, 0x38, 0x00],
            ["unknown-field"] = [0x08, 0x07, 0x48, 0x00],
            ["empty"] = [],
        };
        foreach (var (name, bytes) in cases)
        {
            string path = _dir.File(name);
            File.WriteAllBytes(path, bytes);
            Assert.False(OnnxDetector.LooksLikeOnnx(path), name);
            Assert.NotEqual(ModelFileKind.Onnx, ModelOpener.Detect(path));
        }
        string minimal = _dir.File("minimal");
        File.WriteAllBytes(minimal, [0x08, 0x07, 0x3a, 0x00]);
        Assert.True(OnnxDetector.LooksLikeOnnx(minimal));
        // A doc_string longer than any fixed prefix before the graph does not hide the model.
        var documented = Model(RawFloat("w", [2, 2], Values(4, 1)));
        documented.DocString = new string('d', 200_000);
        string longDoc = Write(_dir.File("long-doc"), documented);
        Assert.True(OnnxDetector.LooksLikeOnnx(longDoc));
        string truncated = _dir.File("truncated");
        File.WriteAllBytes(truncated, [0x08, 0x07, 0x3a, 0x7f, 0x12, 0x05, 0x61]);
        Assert.True(OnnxDetector.LooksLikeOnnx(truncated));
        var e = Assert.Throws<ModelFormatException>(() => ModelOpener.Open(truncated));
        Assert.Contains("truncated", e.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_directory_holding_one_onnx_model_and_its_external_data_opens_the_model()
    {
        Directory.CreateDirectory(_dir.File("m"));
        File.WriteAllBytes(_dir.File("m/w.bin"), FloatBytes(Values(12, 1)));
        Write(_dir.File("m/model.onnx"), Model(External("w", [3, 4], DataType.Float, "w.bin", 0, 48)));
        using var reader = ModelOpener.Open(_dir.File("m"));
        Assert.Equal("onnx", reader.FormatName);
        Assert.Equal(Expected(Values(12, 1)), reader.ReadTensor(reader.Tensors[0]));
    }
}
