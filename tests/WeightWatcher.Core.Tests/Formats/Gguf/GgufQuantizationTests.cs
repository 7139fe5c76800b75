using System.Buffers.Binary;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Gguf;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Formats.Gguf;

/// <summary>Dequantization of every supported ggml block type, to exact doubles.</summary>
public sealed class GgufQuantizationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<GgmlType, uint> TypesAndVersions()
    {
        var data = new TheoryData<GgmlType, uint>();
        foreach (var t in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K })
        {
            data.Add(t, 2);
            data.Add(t, 3);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TypesAndVersions))]
    public void Quantized_tensor_in_a_gguf_file_reads_as_the_exact_dequantized_values(GgmlType type, uint version)
    {
        int blockSize = GgmlTypes.Layout((uint)type)!.Value.BlockSize;
        // Two rows of two blocks each: ne = [2 * blockSize, 2], presented as shape (2, 2 * blockSize).
        var (bytes, expected) = GgmlTestBlocks.Encode(type, 4, seed: (int)type * 10 + (int)version);
        var file = new GgufFileBuilder { Version = version }
            .Tensor("blk.0.ffn_up.weight", [2 * blockSize, 2], type, bytes)
            .Build();
        string path = _dir.File($"{type}-v{version}.gguf");
        File.WriteAllBytes(path, file);

        using var reader = GgufReader.Open(path);
        var t = Assert.Single(reader.Tensors);
        Assert.Equal([2L, 2 * blockSize], t.Shape);
        Assert.Equal(WeightWatcher.Core.Tensors.DType.F32, t.DType);
        Assert.Equal(type, reader.GgmlTypeOf(t));
        Assert.Equal(bytes.Length, t.ByteLength);
        var values = reader.ReadTensor(t);
        Assert.Equal(expected, values);
        var reused = new double[expected.Length];
        reader.ReadTensor(t, reused);
        Assert.Equal(expected, reused);
        // The values are not trivially constant: the test would notice a wrong nibble or scale order.
        Assert.True(expected.Distinct().Count() > 8);
    }

    [Fact]
    public void Q4_0_literal_block()
    {
        var block = new byte[18];
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)1.5);
        for (int j = 0; j < 16; j++)
        {
            block[2 + j] = (byte)(j | (0xF - j) << 4); // low nibble j, high nibble 15 - j
        }
        var y = new double[32];
        GgmlDequantizer.Dequantize(GgmlType.Q4_0, block, y);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal((j - 8) * 1.5, y[j]);
            Assert.Equal((7 - j) * 1.5, y[j + 16]);
        }
    }

    [Fact]
    public void Q5_1_literal_block_uses_the_fifth_bits_of_qh()
    {
        var block = new byte[24];
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)0.5);
        BinaryPrimitives.WriteHalfLittleEndian(block.AsSpan(2), (Half)(-3));
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(4), 0x0001_0002u); // fifth bit of element 1 and of element 16
        var y = new double[32];
        GgmlDequantizer.Dequantize(GgmlType.Q5_1, block, y);
        Assert.Equal(-3, y[0]);
        Assert.Equal((16 * 0.5) - 3, y[1]);
        Assert.Equal((16 * 0.5) - 3, y[16]);
        Assert.Equal(-3, y[17]);
    }

    [Fact]
    public void Q4_K_literal_block_unpacks_six_bit_scales_and_mins()
    {
        var block = new byte[144];
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)1);
        BinaryPrimitives.WriteHalfLittleEndian(block.AsSpan(2), (Half)0.5);
        byte[] scales = [1 | 0x40, 2, 3, 4, 5, 6, 7, 8, 0x21, 0x43, 0x65, 0x87];
        scales.CopyTo(block, 4);
        for (int i = 0; i < 128; i++)
        {
            block[16 + i] = 0x21; // low nibble 1, high nibble 2
        }
        var y = new double[256];
        GgmlDequantizer.Dequantize(GgmlType.Q4_K, block, y);
        // sub-block 0: sc 1, min 5; sub-block 1: sc 2, min 6; sub-block 4: sc 1 | (1 << 4) = 17, min 2; sub-block 7: sc 7, min 8.
        Assert.Equal((1 * 1) - 2.5, y[0]);
        Assert.Equal((2 * 2) - 3.0, y[32]);
        Assert.Equal((17 * 1) - 1.0, y[128]);
        Assert.Equal((7 * 2) - 4.0, y[255]);
        var (sc, min) = GgmlDequantizer.ScaleMinK4(5, scales);
        Assert.Equal((3, 4), (sc, min));
    }

    [Fact]
    public void Q3_K_literal_block_unpacks_scales_and_the_inverted_high_bit()
    {
        var block = new byte[110];
        block[0] = 0x01;  // hmask[0] bit 0: element 0 has its high bit (no minus 4); element 16 (hmask[16]) has not
        block[32] = 0x03; // qs[0]: element 0 low bits 3
        block[48] = 0x02; // qs[16]: element 16 low bits 2
        var sc = Enumerable.Range(0, 16).Select(k => k * 4).ToArray(); // 0, 4, ..., 60
        GgmlTestBlocks.PackScalesQ3K(sc).CopyTo(block, 96);
        BinaryPrimitives.WriteHalfLittleEndian(block.AsSpan(108), (Half)0.5);
        var y = new double[256];
        GgmlDequantizer.Dequantize(GgmlType.Q3_K, block, y);
        Assert.Equal(0.5 * (0 - 32) * 3, y[0]);
        Assert.Equal(0.5 * (4 - 32) * (2 - 4), y[16]);
        Assert.Equal(0.5 * (60 - 32) * -4, y[255]);
    }

    [Fact]
    public void Q2_K_literal_block()
    {
        var block = new byte[84];
        block[0] = 0x53;  // sub-block 0: scale 3, min 5
        block[15] = 0xF1; // sub-block 15: scale 1, min 15
        block[16] = 0b11_00_00_10; // qs[0]: element 0 = 2, element 96 = 3
        BinaryPrimitives.WriteHalfLittleEndian(block.AsSpan(80), (Half)0.25);
        BinaryPrimitives.WriteHalfLittleEndian(block.AsSpan(82), (Half)0.125);
        var y = new double[256];
        GgmlDequantizer.Dequantize(GgmlType.Q2_K, block, y);
        Assert.Equal((0.25 * 3 * 2) - (0.125 * 5), y[0]);
        Assert.Equal(0 - (0.125 * 0), y[96]);
        Assert.Equal(0 - (0.125 * 15), y[255]);
    }

    [Fact]
    public void Q6_K_literal_block()
    {
        var block = new byte[210];
        block[0] = 0x0F;         // ql[0]: element 0 low nibble 15, element 64 high nibble 0
        block[128] = 0b11_00_10_01; // qh[0]: element 0 bits 01, element 32 bits 10, element 64 bits 00, element 96 bits 11
        for (int k = 0; k < 16; k++)
        {
            block[192 + k] = (byte)(sbyte)(k - 8);
        }
        BinaryPrimitives.WriteHalfLittleEndian(block.AsSpan(208), (Half)0.25);
        var y = new double[256];
        GgmlDequantizer.Dequantize(GgmlType.Q6_K, block, y);
        Assert.Equal(0.25 * -8 * ((15 | (1 << 4)) - 32), y[0]);
        Assert.Equal(0.25 * -6 * ((0 | (2 << 4)) - 32), y[32]);
        Assert.Equal(0.25 * -4 * (0 - 32), y[64]);
        Assert.Equal(0.25 * -2 * ((3 << 4) - 32), y[96]);
        Assert.Equal(0.25 * 0 * -32, y[128]);
    }

    [Fact]
    public void Rounding_follows_float32_arithmetic_as_in_ggml()
    {
        // Q4_1: q * d + m in float32. d = 1024, m = 0.0001 (as fp16): the sum rounds to 15360 in float32.
        var block = new byte[20];
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)1024);
        BinaryPrimitives.WriteHalfLittleEndian(block.AsSpan(2), (Half)0.0001);
        block[4] = 0x0F;
        var y = new double[32];
        GgmlDequantizer.Dequantize(GgmlType.Q4_1, block, y);
        float d = (float)(Half)1024, m = (float)(Half)0.0001;
        float expected = (15 * d) + m;
        Assert.Equal(15360.0, y[0]);
        Assert.Equal((double)expected, y[0]);
        Assert.NotEqual((15 * (double)d) + m, y[0]);
    }

    [Fact]
    public void Unsupported_quantized_type_is_listed_but_refused_on_read()
    {
        var file = new GgufFileBuilder().Tensor("iq.weight", [256, 2], GgmlType.IQ4_XS, new byte[2 * 136]).Build();
        string path = _dir.File("iq4xs.gguf");
        File.WriteAllBytes(path, file);
        using var reader = GgufReader.Open(path);
        var t = Assert.Single(reader.Tensors);
        ModelFiles.AssertRejected(() => reader.ReadTensor(t), path, "iq.weight", "IQ4_XS", "not supported");
    }
}
