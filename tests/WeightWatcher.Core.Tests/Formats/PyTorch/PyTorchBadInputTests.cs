using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.PyTorch;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Formats.PyTorch;

/// <summary>Broken and hostile PyTorch files: zip bombs, lying sizes, truncation, bad views and storages.</summary>
public sealed class PyTorchBadInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, byte[] bytes) => _dir.Write(name, bytes);

    private static List<TorchTensorSpec> Small() =>
    [
        new("a.weight", TorchStorage.F32("0", ModelFiles.Values(12, 1)), [3, 4]),
        new("a.bias", TorchStorage.F32("1", ModelFiles.Values(3, 2)), [3]),
    ];

    /// <summary>Offset of the central directory record of <paramref name="name"/>.</summary>
    private static int CentralRecord(byte[] zip, string name)
    {
        var n = Encoding.UTF8.GetBytes(name);
        for (int i = 0; i + 46 + n.Length <= zip.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) == 0x02014b50
                && BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(i + 28)) == n.Length
                && zip.AsSpan(i + 46, n.Length).SequenceEqual(n))
            {
                return i;
            }
        }
        throw new InvalidOperationException($"no central record for {name}");
    }

    [Fact]
    public void Deflated_entry_claiming_more_than_deflate_can_produce_is_refused_as_a_zip_bomb()
    {
        // A 4 GB storage claimed by the pickle and by the entry's declared size, from a few compressed bytes.
        var huge = new TorchStorage("0", "FloatStorage", 4, new byte[64]);
        var pickle = TorchFiles.StateDictPickle([new("a.weight", huge, [4, 4])]);
        var zip = TorchFiles.Zip(pickle, [huge], deflate: true);
        int c = CentralRecord(zip, "archive/data/0");
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(c + 24), 0xFFFFFFF0);
        string path = Write("bomb.pt", zip);
        var watch = Stopwatch.StartNew();
        ModelFiles.AssertOpenRejected(path, null, "zip bomb");
        Assert.True(watch.ElapsedMilliseconds < 2000);
    }

    [Fact]
    public void Deflated_entry_that_inflates_to_more_than_declared_is_cut_at_its_declared_size()
    {
        // The entry declares 64 bytes, the pickle wants 16 floats = 64 bytes; the stream holds 64 KiB of zeros.
        var big = new TorchStorage("0", "FloatStorage", 4, new byte[65536]);
        var pickle = TorchFiles.StateDictPickle([new("a.weight", big with { Bytes = new byte[64] }, [4, 4])]);
        var zip = TorchFiles.Zip(pickle, [big], deflate: true);
        int c = CentralRecord(zip, "archive/data/0");
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(c + 24), 64);
        using var model = ModelOpener.Open(Write("long.pt", zip));
        Assert.Equal(new double[16], model.ReadTensor(model.Tensors[0]));
    }

    [Fact]
    public void Deflated_entry_that_inflates_to_less_than_declared_is_refused_on_read()
    {
        var s = new TorchStorage("0", "FloatStorage", 4, new byte[64]);
        var zip = TorchFiles.Zip(TorchFiles.StateDictPickle([new("a.weight", s with { Bytes = new byte[256] }, [8, 8])]), [s], deflate: true);
        int c = CentralRecord(zip, "archive/data/0");
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(c + 24), 256);
        string path = Write("short.pt", zip);
        using var model = ModelOpener.Open(path);
        ModelFiles.AssertRejected(() => model.ReadTensor(model.Tensors[0]), path, null, "cannot be read as declared");
    }

    [Fact]
    public void Stored_entry_whose_sizes_disagree_or_run_past_the_file_is_refused()
    {
        var zip = TorchFiles.ZipStateDict(Small());
        int c = CentralRecord(zip, "archive/data/0");
        var lying = (byte[])zip.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(lying.AsSpan(c + 24), 4800);
        ModelFiles.AssertOpenRejected(Write("lying.pt", lying), null, "stored zip entry", "claims 4800 bytes");
        var past = (byte[])zip.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(past.AsSpan(c + 20), 1 << 30);
        BinaryPrimitives.WriteUInt32LittleEndian(past.AsSpan(c + 24), 1 << 30);
        ModelFiles.AssertOpenRejected(Write("past.pt", past), null, "beyond the end of the file");
    }

    [Fact]
    public void Storage_smaller_than_its_declared_size_or_a_view_beyond_it_is_refused()
    {
        var s = TorchStorage.F32("0", ModelFiles.Values(12, 1));
        var tooBig = TorchFiles.Zip(TorchFiles.StateDictPickle([new("a.weight", s with { Bytes = new byte[400] }, [10, 10])]), [s]);
        ModelFiles.AssertOpenRejected(Write("big.pt", tooBig), null, "needs 400 bytes but its entry holds 48");
        var view = TorchFiles.ZipStateDict([new("a.weight", s, [3, 4], [4, 1], 4)]);
        ModelFiles.AssertOpenRejected(Write("view.pt", view), "a.weight", "beyond its storage of 12 elements");
        var stride = TorchFiles.ZipStateDict([new("a.weight", s, [3, 4], [long.MaxValue / 2, 1], 0)]);
        ModelFiles.AssertOpenRejected(Write("stride.pt", stride), "a.weight", "beyond its storage");
    }

    [Fact]
    public void Missing_storage_entry_big_endian_files_and_non_dict_pickles_are_refused()
    {
        var specs = Small();
        var missing = TorchFiles.Zip(TorchFiles.StateDictPickle(specs), [specs[0].Storage]);
        ModelFiles.AssertOpenRejected(Write("missing.pt", missing), null, "has no zip entry 'archive/data/1'");
        var big = TorchFiles.Zip(TorchFiles.StateDictPickle(specs), specs.Select(s => s.Storage), byteOrder: "big");
        ModelFiles.AssertOpenRejected(Write("big.pt", big), null, "only little-endian");
        var list = TorchFiles.Zip(new PickleBuilder().Proto(2).Op(']').Stop().ToArray(), []);
        ModelFiles.AssertOpenRejected(Write("list.pt", list), null, "holds a list, not a state dict");
        var legacyBig = TorchFiles.Legacy(TorchFiles.StateDictPickle(specs, legacy: true), specs.Select(s => s.Storage).ToList(), littleEndian: false);
        ModelFiles.AssertOpenRejected(Write("big.th", legacyBig), null, "big-endian");
    }

    [Fact]
    public void Legacy_storage_count_that_disagrees_with_the_pickle_or_the_file_is_refused()
    {
        var specs = Small();
        var bytes = TorchFiles.LegacyStateDict(specs);
        // The last storage (3 floats): its count sits 8 + 12 bytes before the end.
        int countAt = bytes.Length - 12 - 8;
        Assert.Equal(3L, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(countAt)));
        var wrong = (byte[])bytes.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(wrong.AsSpan(countAt), 4);
        ModelFiles.AssertOpenRejected(Write("count.th", wrong), null, "holds 4 elements but was declared with 3");
        var pickle = TorchFiles.StateDictPickle([new("a.weight", specs[0].Storage with { Bytes = new byte[1 << 20] }, [3, 4])], legacy: true);
        var huge = TorchFiles.Legacy(pickle, [specs[0].Storage with { Bytes = new byte[1 << 20] }])[..2000];
        ModelFiles.AssertOpenRejected(Write("huge.th", huge), null, "runs beyond the end of the file");
    }

    [Fact]
    public void Every_truncation_of_a_zip_or_legacy_file_is_refused_with_ModelFormatException()
    {
        foreach (var (name, bytes) in new[] { ("t.pt", TorchFiles.ZipStateDict(Small())), ("t.th", TorchFiles.LegacyStateDict(Small())) })
        {
            string path = _dir.File(name);
            int refused = 0;
            for (int n = 0; n < bytes.Length; n++)
            {
                File.WriteAllBytes(path, bytes[..n]);
                var e = Assert.Throws<ModelFormatException>(() => ModelFiles.OpenAndReadAll(path));
                Assert.Contains(path, e.Message, StringComparison.Ordinal);
                refused++;
            }
            File.WriteAllBytes(path, bytes);
            Assert.Equal(2, ModelFiles.OpenAndReadAll(path));
            Assert.Equal(bytes.Length, refused);
        }
    }

    [Fact]
    public void A_deflated_storage_larger_than_a_byte_array_is_read_in_chunks()
    {
        // 2^28 float64 zeros: the element limit exactly, 2^31 bytes (more than one byte array holds), a
        // 2 MB file once deflated. It once failed with an OverflowException instead of reading.
        const int side = 1 << 14;
        var storage = new TorchStorage("0", "DoubleStorage", 8, [], DeclaredNumel: (long)side * side);
        string path = _dir.File("big.pt");
        using (var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
        {
            void Add(string name, byte[] bytes)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(bytes);
            }
            Add("archive/data.pkl", TorchFiles.StateDictPickle([new("big.weight", storage, [side, side])]));
            Add("archive/byteorder", "little"u8.ToArray());
            using (var data = zip.CreateEntry("archive/data/0", CompressionLevel.Fastest).Open())
            {
                var zeros = new byte[1 << 20];
                for (long written = 0; written < (long)side * side * 8; written += zeros.Length)
                {
                    data.Write(zeros);
                }
            }
            Add("archive/version", "3\n"u8.ToArray());
        }
        using var model = ModelOpener.Open(path);
        var tensor = Assert.Single(model.Tensors);
        var values = new double[(long)side * side];
        values[^1] = 1;
        model.ReadTensor(tensor, values);
        Assert.Equal(0, values[0]);
        Assert.Equal(0, values[^1]);
    }
}
