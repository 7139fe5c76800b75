using System.Buffers.Binary;
using System.IO.Compression;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.ModelFiles;

namespace WeightWatcher.Core.Tests.Formats;

/// <summary>
/// Broken .npy and .npz files: each is refused with a <see cref="ModelFormatException"/> naming the file,
/// the array (tensor) concerned and the reason.
/// </summary>
public sealed class NumpyBadInputTests : IDisposable
{
    private const string Dict34 = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteNpy(string name, byte[] bytes)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string WriteZip(string name, params (string Entry, byte[] Bytes)[] entries)
    {
        string path = _dir.File(name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entry, bytes) in entries)
        {
            using var s = zip.CreateEntry(entry, CompressionLevel.NoCompression).Open();
            s.Write(bytes);
        }
        return path;
    }

    [Theory]
    [InlineData(">f4")]
    [InlineData(">f8")]
    [InlineData(">i4")]
    public void Big_endian_array_is_refused(string descr)
    {
        string path = WriteNpy("be.npy", Npy($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (3, 4), }}", new byte[96]));
        AssertOpenRejected(path, "be", $"'{descr}'", "big-endian");
    }

    [Theory]
    [InlineData("<c8")]
    [InlineData("<U4")]
    [InlineData("|O")]
    [InlineData("[('a', '<f4')]")]
    public void Unsupported_dtype_is_refused(string descr)
    {
        string path = WriteNpy("odd.npy", Npy($"{{'descr': \"{descr}\", 'fortran_order': False, 'shape': (2,), }}", new byte[64]));
        AssertOpenRejected(path, "odd", "unsupported .npy dtype");
    }

    [Fact]
    public void Npy_with_data_cut_short_is_refused()
    {
        var bytes = Npy(Dict34, new byte[48]);
        string path = WriteNpy("cut.npy", bytes[..^5]);
        AssertOpenRejected(path, "cut", "needs 48 bytes", "holds 43");
    }

    [Fact]
    public void Npy_with_header_cut_short_is_refused()
    {
        var bytes = Npy(Dict34, new byte[48]);
        string path = WriteNpy("head.npy", bytes[..30]);
        AssertOpenRejected(path, "head", "truncated");
    }

    [Fact]
    public void Npy_shorter_than_its_magic_is_refused()
    {
        string path = WriteNpy("stub.npy", [0x93, (byte)'N', (byte)'U']);
        AssertOpenRejected(path, null, "unrecognised");
        AssertRejected(() => NumpyReader.OpenNpy(path), path, "stub", "truncated");
    }

    [Fact]
    public void Npy_with_bad_magic_is_refused()
    {
        var bytes = Npy(Dict34, new byte[48]);
        bytes[5] = (byte)'X';
        string path = WriteNpy("magic.npy", bytes);
        Assert.Equal(ModelFileKind.Unknown, ModelOpener.Detect(path));
        AssertOpenRejected(path, null, "unrecognised");
        AssertRejected(() => NumpyReader.OpenNpy(path), path, "magic", "bad magic");
    }

    [Fact]
    public void Absurd_version_2_header_length_is_refused_without_allocating()
    {
        var bytes = Npy(Dict34, new byte[48], major: 2);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), uint.MaxValue);
        string path = WriteNpy("absurd.npy", bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertOpenRejected(path, "absurd", "header length 4294967295");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
    }

    [Fact]
    public void Version_1_header_length_beyond_the_file_is_refused()
    {
        var bytes = Npy(Dict34, new byte[48]);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), ushort.MaxValue);
        string path = WriteNpy("long.npy", bytes);
        AssertOpenRejected(path, "long", "truncated");
    }

    [Fact]
    public void Unsupported_version_is_refused()
    {
        var bytes = Npy(Dict34, new byte[48]);
        bytes[6] = 9;
        string path = WriteNpy("v9.npy", bytes);
        AssertOpenRejected(path, "v9", "version 9");
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'shape': (3, 4), }", "'fortran_order'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, }", "'shape'")]
    [InlineData("{'fortran_order': False, 'shape': (3, 4), }", "'descr'")]
    [InlineData("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3, 4), }", "fortran_order")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': [3, 4], }", "shape")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, -4), }", "shape")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, x), }", "shape")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }", "overflow")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1), }", "rank 17")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)", "malformed")]
    public void Malformed_header_dictionary_is_refused(string dict, string reason)
    {
        string path = WriteNpy("bad.npy", Npy(dict, new byte[48]));
        AssertOpenRejected(path, "bad", reason);
    }

    [Fact]
    public void Npy_claiming_a_huge_shape_is_refused_without_allocating()
    {
        string path = WriteNpy("huge.npy", Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", new byte[64]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertOpenRejected(path, "huge", "needs 8000000000000 bytes");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
    }

    [Fact]
    public void Npz_whose_entry_is_truncated_is_refused()
    {
        var good = Npy(Dict34, F32(Values(12, 5)));
        string path = WriteZip("cut.npz", ("ok.npy", good), ("w.npy", good[..^8]));
        AssertOpenRejected(path, "w", "needs 48 bytes", "archive entry holds 40");
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void Npz_entry_whose_sizes_claim_more_than_the_archive_holds_is_refused_without_allocating(bool patchCompressed, bool patchUncompressed)
    {
        // 2^27 float64 elements (1 GiB as doubles), but only 64 bytes of data; the zip's size fields are then
        // patched to claim the full gigabyte, so only a plausibility check stops a huge allocation.
        var npy = Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (134217728,), }", new byte[64]);
        string path = WriteZip("liar.npz", ("w.npy", npy));
        var bytes = File.ReadAllBytes(path);
        uint claimed = (uint)(npy.Length - 64) + (134217728u * 8);
        for (int i = 0; i + 4 <= bytes.Length; i++)
        {
            uint sig = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i));
            int at = sig == 0x04034b50 ? i + 18 : sig == 0x02014b50 ? i + 20 : -1;
            if (at < 0)
            {
                continue;
            }
            if (patchCompressed)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), claimed);
            }
            if (patchUncompressed)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 4), claimed);
            }
        }
        File.WriteAllBytes(path, bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ModelFormatException>(() => OpenAndReadAll(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50_000_000, "no allocation for data the archive cannot hold");
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal("w", e.Tensor);
    }

    [Fact]
    public void Npz_holding_the_same_array_name_twice_is_refused()
    {
        var good = Npy(Dict34, F32(Values(12, 5)));
        string path = WriteZip("dup.npz", ("w.npy", good), ("w.npy", good));
        AssertOpenRejected(path, "w", "more than once");
    }

    [Fact]
    public void Npz_whose_entry_header_is_truncated_is_refused()
    {
        var good = Npy(Dict34, F32(Values(12, 5)));
        string path = WriteZip("head.npz", ("w.npy", good[..20]));
        AssertOpenRejected(path, "w", "truncated");
    }

    [Fact]
    public void Npz_entry_that_is_not_an_array_is_refused()
    {
        string path = WriteZip("text.npz", ("w.npy", "hello, world, not numpy"u8.ToArray()));
        AssertOpenRejected(path, "w", "bad magic");
    }

    [Fact]
    public void Truncated_zip_archive_is_refused()
    {
        string full = _dir.File("full.npz");
        NumpyWriter.WriteNpz(full, [new("a", [20, 30], Values(600, 1)), new("b", [20, 30], Values(600, 2))]);
        var bytes = File.ReadAllBytes(full);
        string path = _dir.File("half.npz");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Equal(ModelFileKind.Zip, ModelOpener.Detect(path));
        AssertOpenRejected(path, null, "zip");
    }

    [Fact]
    public void Compressed_npz_with_corrupt_deflate_data_is_refused()
    {
        string full = _dir.File("ok.npz");
        NumpyWriter.WriteNpz(full, [new("w", [20, 30], Values(600, 7))], compress: true);
        var bytes = File.ReadAllBytes(full);
        // The deflate stream starts after the 30-byte local header and the entry name "w.npy".
        for (int i = 30 + 5 + 2; i < 30 + 5 + 200; i += 3)
        {
            bytes[i] ^= 0x5A;
        }
        string path = _dir.File("corrupt.npz");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ModelFormatException>(() => OpenAndReadAll(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal("w", e.Tensor);
    }

    [Fact]
    public void Npz_whose_file_shrinks_after_opening_fails_when_the_tensor_is_read()
    {
        string path = _dir.File("shrink.npz");
        NumpyWriter.WriteNpz(path, [new("w", [20, 30], Values(600, 9))]);
        using var reader = ModelOpener.Open(path);
        File.WriteAllText(path, "gone");
        AssertRejected(() => reader.ReadTensor(reader.Tensors[0]), path, null, "zip");
    }
}
