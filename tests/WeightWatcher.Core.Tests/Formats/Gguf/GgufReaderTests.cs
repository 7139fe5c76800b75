using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Gguf;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tensors;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Formats.Gguf;

/// <summary>GGUF headers, metadata, plain element types, dimension order, alignment and analysis.</summary>
public sealed class GgufReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, byte[] bytes) => _dir.Write(name, bytes);

    [Theory]
    [InlineData(2u)]
    [InlineData(3u)]
    public void Plain_types_read_exactly_in_both_versions(uint version)
    {
        float[] f32 = [1.5f, -2.25f, 3e-8f, 65504f, -0f, 7f];
        float[] f16 = [1.5f, -2.25f, 0.000061035156f, 65504f, -0f, 0.333251953125f];
        float[] bf16 = [1.5f, -2.25f, 3.0517578125e-05f, (float)Math.Pow(2, 100), -0f, 0.333984375f];
        var f64 = new byte[16];
        BitConverter.TryWriteBytes(f64, Math.PI);
        BitConverter.TryWriteBytes(f64.AsSpan(8), -1e300);
        var i32 = new byte[8];
        BitConverter.TryWriteBytes(i32, -7);
        BitConverter.TryWriteBytes(i32.AsSpan(4), int.MaxValue);
        var b = new GgufFileBuilder { Version = version }
            .Tensor("a.weight", [3, 2], GgmlType.F32, GgufFileBuilder.F32(f32))
            .Tensor("b.weight", [3, 2], GgmlType.F16, GgufFileBuilder.F16(f16))
            .Tensor("c.weight", [3, 2], GgmlType.BF16, GgufFileBuilder.BF16(bf16))
            .Tensor("d", [2], GgmlType.F64, f64)
            .Tensor("e", [2], GgmlType.I32, i32)
            .Tensor("f", [4], GgmlType.I8, [0xFF, 1, 0x80, 0x7F]);
        string path = Write($"plain-v{version}.gguf", b.Build());

        using var reader = GgufReader.Open(path);
        Assert.Equal(version, reader.Header.Version);
        Assert.Equal(["a.weight", "b.weight", "c.weight", "d", "e", "f"], reader.Tensors.Select(t => t.Name));
        Assert.Equal([DType.F32, DType.F16, DType.BF16, DType.F64, DType.I32, DType.I8], reader.Tensors.Select(t => t.DType));
        Assert.Equal(f32.Select(x => (double)x), reader.ReadTensor(reader.Tensors[0]));
        Assert.Equal(f16.Select(x => (double)x), reader.ReadTensor(reader.Tensors[1]));
        Assert.Equal(bf16.Select(x => (double)x), reader.ReadTensor(reader.Tensors[2]));
        Assert.Equal([Math.PI, -1e300], reader.ReadTensor(reader.Tensors[3]));
        Assert.Equal([-7.0, int.MaxValue], reader.ReadTensor(reader.Tensors[4]));
        Assert.Equal([-1.0, 1, -128, 127], reader.ReadTensor(reader.Tensors[5]));
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(b.DataStart + b.Offsets[i], reader.Tensors[i].Offset);
        }
    }

    [Fact]
    public void Dimensions_are_reversed_into_row_major_order()
    {
        // ggml ne = [3, 2]: rows of 3 contiguous elements, 2 rows. As PyTorch sees it: shape (2, 3), row-major.
        string path = Write("rev.gguf", new GgufFileBuilder().Tensor("m.weight", [3, 2], GgmlType.F32, GgufFileBuilder.F32(0, 1, 2, 10, 11, 12)).Build());
        using var reader = GgufReader.Open(path);
        var t = reader.Tensors[0];
        Assert.Equal([2L, 3], t.Shape);
        Assert.Equal([3L, 2], reader.Header.Tensors[0].Dims);
        var v = reader.ReadTensor(t);
        // element [r, c] = v[r * 3 + c]
        Assert.Equal(12, v[(1 * 3) + 2]);
        Assert.Equal(2, v[(0 * 3) + 2]);
        Assert.Equal(10, v[(1 * 3) + 0]);

        // A copy of the header reads the same; a header that is not this model's is refused.
        Assert.Equal(v, reader.ReadTensor(t with { Shape = [2, 3] }));
        Assert.Throws<ArgumentException>(() => reader.ReadTensor(t with { Name = "other.weight" }));
        Assert.Throws<ArgumentException>(() => reader.ReadTensor(t with { Offset = t.Offset + 4 }));

        var layer = Assert.Single(LayerEnumerator.EnumerateAll(reader));
        Assert.Equal((LayerType.Dense, 3, 2), (layer.Type, layer.N, layer.M));

        // A 4-D ggml conv kernel ne = [kw, kh, in, out] is (out, in, kh, kw).
        string conv = Write("conv.gguf", new GgufFileBuilder().Tensor("c.weight", [5, 3, 4, 8], GgmlType.F32, new byte[5 * 3 * 4 * 8 * 4]).Build());
        using var r2 = GgufReader.Open(conv);
        Assert.Equal([8L, 4, 3, 5], r2.Tensors[0].Shape);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(4096)]
    public void Alignment_places_the_data_section_and_offsets(int? alignment)
    {
        var b = new GgufFileBuilder { Alignment = alignment }
            .MetaString("general.name", "odd-length-name-")
            .Tensor("x", [3], GgmlType.F32, GgufFileBuilder.F32(1, 2, 3))
            .Tensor("y", [5], GgmlType.F16, GgufFileBuilder.F16(1, 2, 3, 4, 5))
            .Tensor("z", [2], GgmlType.F32, GgufFileBuilder.F32(-1, -2));
        string path = Write($"align-{alignment}.gguf", b.Build());
        using var reader = GgufReader.Open(path);
        int a = alignment ?? 32;
        Assert.Equal(a, reader.Header.Alignment);
        Assert.Equal(0, reader.Header.DataOffset % a);
        Assert.Equal(b.DataStart, reader.Header.DataOffset);
        Assert.All(reader.Tensors, t => Assert.Equal(0, (t.Offset - reader.Header.DataOffset) % a));
        Assert.Equal([1.0, 2, 3], reader.ReadTensor(reader.Tensors[0]));
        Assert.Equal([1.0, 2, 3, 4, 5], reader.ReadTensor(reader.Tensors[1]));
        Assert.Equal([-1.0, -2], reader.ReadTensor(reader.Tensors[2]));
    }

    [Fact]
    public void Metadata_of_every_type_including_arrays_is_read_or_skipped()
    {
        var b = new GgufFileBuilder()
            .Meta("u8", GgufValueType.UInt8, w => w.Write((byte)200))
            .Meta("i8", GgufValueType.Int8, w => w.Write((sbyte)-5))
            .Meta("u16", GgufValueType.UInt16, w => w.Write((ushort)65000))
            .Meta("i16", GgufValueType.Int16, w => w.Write((short)-300))
            .MetaU32("u32", 4_000_000_000)
            .Meta("i32", GgufValueType.Int32, w => w.Write(-70000))
            .Meta("f32", GgufValueType.Float32, w => w.Write(0.5f))
            .Meta("bool", GgufValueType.Bool, w => w.Write((byte)1))
            .MetaString("general.architecture", "llama")
            .Meta("u64", GgufValueType.UInt64, w => w.Write(ulong.MaxValue))
            .Meta("i64", GgufValueType.Int64, w => w.Write(long.MinValue))
            .Meta("f64", GgufValueType.Float64, w => w.Write(2.5))
            .Meta("ints", GgufValueType.Array, w =>
            {
                w.Write((uint)GgufValueType.Int32);
                w.Write(3UL);
                w.Write(1);
                w.Write(-2);
                w.Write(3);
            })
            .Meta("tokenizer.ggml.tokens", GgufValueType.Array, w =>
            {
                w.Write((uint)GgufValueType.String);
                w.Write(3UL);
                GgufFileBuilder.WriteString(w, "<s>");
                GgufFileBuilder.WriteString(w, "é");
                GgufFileBuilder.WriteString(w, "");
            })
            .Meta("big.strings", GgufValueType.Array, w =>
            {
                w.Write((uint)GgufValueType.String);
                w.Write(10_000UL);
                for (int i = 0; i < 10_000; i++)
                {
                    GgufFileBuilder.WriteString(w, "tok" + i);
                }
            })
            .Meta("big.floats", GgufValueType.Array, w =>
            {
                w.Write((uint)GgufValueType.Float32);
                w.Write(5000UL);
                w.Write(new byte[5000 * 4]);
            })
            .Meta("nested", GgufValueType.Array, w =>
            {
                w.Write((uint)GgufValueType.Array);
                w.Write(2UL);
                for (int i = 0; i < 2; i++)
                {
                    w.Write((uint)GgufValueType.UInt8);
                    w.Write(2UL);
                    w.Write((byte)i);
                    w.Write((byte)7);
                }
            })
            .Tensor("after.weight", [2, 2], GgmlType.F32, GgufFileBuilder.F32(1, 2, 3, 4));
        string path = Write("meta.gguf", b.Build());
        using var reader = GgufReader.Open(path);
        var m = reader.Header.Metadata;
        Assert.Equal((byte)200, m["u8"].Value);
        Assert.Equal((sbyte)-5, m["i8"].Value);
        Assert.Equal((ushort)65000, m["u16"].Value);
        Assert.Equal((short)-300, m["i16"].Value);
        Assert.Equal(4_000_000_000u, m["u32"].Value);
        Assert.Equal(-70000, m["i32"].Value);
        Assert.Equal(0.5f, m["f32"].Value);
        Assert.Equal(true, m["bool"].Value);
        Assert.Equal("llama", m["general.architecture"].Value);
        Assert.Equal(ulong.MaxValue, m["u64"].Value);
        Assert.Equal(long.MinValue, m["i64"].Value);
        Assert.Equal(2.5, m["f64"].Value);
        Assert.Equal(new object?[] { 1, -2, 3 }, (object?[])m["ints"].Value!);
        Assert.Equal(new object?[] { "<s>", "é", "" }, (object?[])m["tokenizer.ggml.tokens"].Value!);
        Assert.Equal((GgufValueType.Array, (object?)null, GgufValueType.String, 10_000L), (m["big.strings"].Type, m["big.strings"].Value, m["big.strings"].ElementType, m["big.strings"].Length));
        Assert.Equal((null, 5000L), (m["big.floats"].Value, m["big.floats"].Length));
        Assert.Equal((GgufValueType.Array, 2L), (m["nested"].ElementType!.Value, m["nested"].Length));
        Assert.Equal([1.0, 2, 3, 4], reader.ReadTensor(Assert.Single(reader.Tensors)));
    }

    [Fact]
    public void A_small_gguf_model_is_enumerated_by_state_dict_rules_and_analyzes()
    {
        var rng = new Random(5);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var (q8, _) = GgmlTestBlocks.Encode(GgmlType.Q8_0, 64 * 48 / 32, seed: 1);
        var (q6, _) = GgmlTestBlocks.Encode(GgmlType.Q6_K, 256 * 40 / 256, seed: 2);
        var b = new GgufFileBuilder()
            .MetaString("general.architecture", "llama")
            .Tensor("token_embd.weight", [64, 100], GgmlType.F16, GgufFileBuilder.F16(Random(6400)))
            .Tensor("blk.0.attn_norm.weight", [64], GgmlType.F32, GgufFileBuilder.F32(Random(64)))
            .Tensor("blk.0.attn_q.weight", [64, 64], GgmlType.F32, GgufFileBuilder.F32(Random(4096)))
            .Tensor("blk.0.ffn_up.weight", [64, 48], GgmlType.Q8_0, q8)
            .Tensor("blk.0.ffn_down.weight", [256, 40], GgmlType.Q6_K, q6)
            .Tensor("blk.0.ffn_gate.weight", [64, 5], GgmlType.BF16, GgufFileBuilder.BF16(Random(320)))
            .Tensor("rope_freqs", [32], GgmlType.F32, GgufFileBuilder.F32(Random(32)));
        string path = Write("model.gguf", b.Build());

        Assert.Equal(ModelFileKind.Gguf, ModelOpener.Detect(path));
        using var reader = ModelOpener.Open(path);
        Assert.IsType<GgufReader>(reader);
        var all = LayerEnumerator.EnumerateAll(reader);
        Assert.Equal(
            [(1, "token_embd", LayerType.Dense, 100, 64), (2, "blk.0.attn_norm", LayerType.Unknown, 0, 0), (3, "blk.0.attn_q", LayerType.Dense, 64, 64),
             (4, "blk.0.ffn_up", LayerType.Dense, 64, 48), (5, "blk.0.ffn_down", LayerType.Dense, 256, 40), (6, "blk.0.ffn_gate", LayerType.Dense, 64, 5)],
            all.Select(l => (l.LayerId, l.Name, l.Type, l.N, l.M)));

        var result = new Analyzer(ManagedSpectralBackend.Instance).Analyze(reader, new AnalysisOptions());
        Assert.Empty(result.Failures);
        Assert.Equal([1, 3, 4, 5], result.Rows.Select(r => r.Layer.LayerId));
        Assert.All(result.Rows, r => Assert.True(r.Spectrum.LambdaMax > 0 && double.IsFinite(r.Alpha)));
    }
}
