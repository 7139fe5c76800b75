using System.Buffers.Binary;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Gguf;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.ModelFiles;

namespace WeightWatcher.Core.Tests.Formats.Gguf;

/// <summary>Broken GGUF files: each is refused with a <see cref="ModelFormatException"/> naming the file, the tensor when one is concerned, and the reason.</summary>
public sealed class GgufBadInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, byte[] bytes) => _dir.Write(name, bytes);

    private static GgufFileBuilder ValidBuilder() => new GgufFileBuilder()
        .MetaString("general.architecture", "llama")
        .Tensor("a.weight", [4, 3], GgmlType.F32, GgufFileBuilder.F32(new float[12]))
        .Tensor("b.weight", [32, 2], GgmlType.Q8_0, new byte[68]);

    private static byte[] Valid() => ValidBuilder().Build();

    private static void Open(string path)
    {
        using var r = GgufReader.Open(path);
        foreach (var t in r.Tensors)
        {
            r.ReadTensor(t);
        }
    }

    [Fact]
    public void Truncated_files_are_refused_at_every_length()
    {
        var builder = ValidBuilder();
        var valid = builder.Build();
        // Past the end of the last tensor's bytes only alignment padding follows.
        long end = builder.DataStart + builder.Offsets[1] + 68;
        Assert.True(end < valid.Length);
        for (int len = 0; len < end; len++)
        {
            string path = Write($"trunc-{len}.gguf", valid[..len]);
            var e = Assert.Throws<ModelFormatException>(() => Open(path));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(e.Reason));
        }
        Open(Write("whole.gguf", valid));
    }

    [Fact]
    public void Truncation_inside_the_data_names_the_tensor()
    {
        var builder = ValidBuilder();
        var valid = builder.Build();
        string path = Write("short-data.gguf", valid[..(int)(builder.DataStart + builder.Offsets[1] + 58)]);
        AssertRejected(() => Open(path), path, "b.weight", "beyond the end of the file");
    }

    [Fact]
    public void Corrupted_headers_are_refused_with_the_reason()
    {
        var valid = Valid();
        var badMagic = (byte[])valid.Clone();
        badMagic[0] = (byte)'X';
        AssertRejected(() => Open(Write("magic.gguf", badMagic)), _dir.File("magic.gguf"), null, "not a GGUF file");

        foreach (var (version, reason) in new[] { (1u, "version 1 is not supported"), (4u, "version 4 is not supported"), (0x03000000u, "big-endian") })
        {
            var v = (byte[])valid.Clone();
            BinaryPrimitives.WriteUInt32LittleEndian(v.AsSpan(4), version);
            string path = Write($"version-{version}.gguf", v);
            AssertRejected(() => Open(path), path, null, reason);
        }

        string unknownType = Write("type.gguf", new GgufFileBuilder().Tensor("t.weight", [4], 99u, new byte[16]).Build());
        AssertRejected(() => Open(unknownType), unknownType, "t.weight", "unknown ggml type id 99");

        string unknownValue = Write("value.gguf", new GgufFileBuilder().Meta("k", (GgufValueType)42, w => w.Write(0)).Build());
        AssertRejected(() => Open(unknownValue), unknownValue, null, "metadata 'k'", "unknown value type 42");

        string fiveDims = Write("dims.gguf", new GgufFileBuilder().Tensor("t", [1, 1, 1, 1, 1], GgmlType.F32, new byte[4]).Build());
        AssertRejected(() => Open(fiveDims), fiveDims, "t", "5 dimensions");

        string duplicate = Write("dup.gguf", new GgufFileBuilder().Tensor("t", [1], GgmlType.F32, new byte[4]).Tensor("t", [1], GgmlType.F32, new byte[4]).Build());
        AssertRejected(() => Open(duplicate), duplicate, "t", "more than once");

        string dupKey = Write("dupkey.gguf", new GgufFileBuilder().MetaU32("k", 1).MetaU32("k", 2).Build());
        AssertRejected(() => Open(dupKey), dupKey, null, "'k' appears more than once");

        foreach (uint a in new uint[] { 0, 3, 48, 1u << 30 })
        {
            string path = Write($"align-{a}.gguf", new GgufFileBuilder().MetaU32("general.alignment", a).Tensor("t", [1], GgmlType.F32, new byte[4]).Build());
            AssertRejected(() => Open(path), path, null, "general.alignment", "power of two");
        }

        string blocks = Write("blocks.gguf", new GgufFileBuilder().Tensor("q.weight", [40, 2], GgmlType.Q4_0, new byte[100]).Build());
        AssertRejected(() => Open(blocks), blocks, "q.weight", "not a multiple of the Q4_0 block size 32");

        string badUtf8 = Write("utf8.gguf", new GgufFileBuilder().Meta("k", GgufValueType.String, w => { w.Write(2UL); w.Write((byte)0xC3); w.Write((byte)0x28); }).Build());
        AssertRejected(() => Open(badUtf8), badUtf8, null, "not valid UTF-8");
    }

    [Fact]
    public void Absurd_sizes_are_refused_before_any_allocation()
    {
        var valid = Valid();
        var manyTensors = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(manyTensors.AsSpan(8), 1UL << 60);
        string p1 = Write("tensors.gguf", manyTensors);
        AssertRejected(() => Open(p1), p1, null, $"claims {1UL << 60} tensors");

        var manyKv = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(manyKv.AsSpan(16), ulong.MaxValue);
        string p2 = Write("kv.gguf", manyKv);
        AssertRejected(() => Open(p2), p2, null, "metadata entries");

        var longKey = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(longKey.AsSpan(24), 1UL << 62);
        string p3 = Write("key.gguf", longKey);
        AssertRejected(() => Open(p3), p3, null, "metadata key #0", "more than the limit");

        string p4 = Write("array.gguf", new GgufFileBuilder().Meta("arr", GgufValueType.Array, w => { w.Write((uint)GgufValueType.UInt64); w.Write(1UL << 58); }).Build());
        AssertRejected(() => Open(p4), p4, null, "metadata array 'arr'", "elements");

        // A header claiming a 4 TiB tensor in a file of a few hundred bytes.
        string p5 = Write("huge.gguf", new GgufFileBuilder().Tensor("huge.weight", [1L << 20, 1L << 20], GgmlType.F32, new byte[16]).Build());
        AssertRejected(() => Open(p5), p5, "huge.weight", "beyond the end of the file");

        string p6 = Write("overflow.gguf", new GgufFileBuilder().Tensor("o.weight", [1L << 40, 1L << 40], GgmlType.F32, new byte[16]).Build());
        AssertRejected(() => Open(p6), p6, "o.weight", "overflow");

        string p7 = Write("dim.gguf", new GgufFileBuilder().Tensor("d.weight", [-1, 2], GgmlType.F32, new byte[16]).Build());
        AssertRejected(() => Open(p7), p7, "d.weight", "absurd");
    }

    [Fact]
    public void Offsets_beyond_the_file_or_misaligned_are_refused_naming_the_tensor()
    {
        string beyond = Write("beyond.gguf", new GgufFileBuilder().Tensor("x.weight", [2, 2], (uint)GgmlType.F32, new byte[16], offset: 1UL << 40).Build());
        AssertRejected(() => Open(beyond), beyond, "x.weight", "beyond the end of the file");

        string maxOffset = Write("max.gguf", new GgufFileBuilder().Tensor("x.weight", [2, 2], (uint)GgmlType.F32, new byte[16], offset: ulong.MaxValue - 31).Build());
        AssertRejected(() => Open(maxOffset), maxOffset, "x.weight", "beyond the end of the file");

        string misaligned = Write("mis.gguf", new GgufFileBuilder().Tensor("x.weight", [2, 2], (uint)GgmlType.F32, new byte[16], offset: 4).Build());
        AssertRejected(() => Open(misaligned), misaligned, "x.weight", "not a multiple of the alignment 32");
    }

    [Fact]
    public void A_file_that_shrinks_after_opening_fails_on_read_naming_the_tensor()
    {
        string path = Write("shrink.gguf", Valid());
        using var r = GgufReader.Open(path);
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            fs.SetLength(fs.Length - 40);
        }
        AssertRejected(() => r.ReadTensor(r.Tensors[1]), path, "b.weight", "beyond the end of the file");
    }
}
