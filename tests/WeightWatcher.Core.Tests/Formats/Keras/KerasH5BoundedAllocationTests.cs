using System.Buffers.Binary;
using System.Text;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Keras;
using WeightWatcher.Core.Tests.Support;
using F = WeightWatcher.Core.Tests.Formats.Keras.KerasH5Fixtures;

namespace WeightWatcher.Core.Tests.Formats.Keras;

/// <summary>
/// Length fields of HDF5 metadata set to claim about 2 GB, one at a time, in files written by h5py (the
/// HDF5 C library: superblock 0, version 1 object headers, symbol tables and local heaps, as Keras writes
/// them) and by PureHDF (version 2 object headers, link messages). Each must fail with a
/// <see cref="ModelFormatException"/> naming the file and the structure, having allocated a few MB at most:
/// PureHDF, left to itself, allocates what the field claims before finding the file too short.
/// </summary>
public sealed class KerasH5BoundedAllocationTests
{
    private const long Bound = 16L << 20;
    private const ulong TwoGigabytes = 0x7FFF_FFF0;

    /// <summary>The path of a fixture of Formats/Keras/Data (copied beside the test assembly).</summary>
    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Formats", "Keras", "Data", name);

    [Fact]
    public void H5py_written_Keras_2_model_reads_with_its_layers_and_weights()
    {
        using var reader = KerasH5Reader.Open(Fixture("keras2_h5py.h5"));

        Assert.Equal(KerasFileLayout.Keras2Model, reader.Layout);
        Assert.Equal(["conv2d", "flatten", "dense"], reader.DeclaredLayers.Select(l => l.Name));
        Assert.Equal("model_weights/conv2d/conv2d/kernel:0", reader.DeclaredLayers[0].Weight?.Name);
        Assert.Equal([3L, 3, 2, 12], reader.DeclaredLayers[0].Weight!.Shape);
        Assert.Equal([24L, 12], reader.DeclaredLayers[2].Weight!.Shape);
        Assert.All(reader.Tensors, t => Assert.Equal(t.ElementCount, reader.ReadTensor(t).Length));
    }

    [Fact]
    public void H5py_written_Keras_3_weights_read_with_their_layers()
    {
        using var dir = new TempDir();
        string path = dir.File("model.weights.h5");
        File.Copy(Fixture("keras3_h5py.weights.h5"), path);
        using var reader = KerasH5Reader.Open(path);

        Assert.Equal(KerasFileLayout.Keras3Weights, reader.Layout);
        Assert.Equal(["conv2d", "dense", "flatten"], reader.DeclaredLayers.Select(l => l.Name));
        Assert.Equal([24L, 12], reader.DeclaredLayers[1].Weight!.Shape);
        Assert.All(reader.Tensors, t => Assert.Equal(t.ElementCount, reader.ReadTensor(t).Length));
    }

    [Fact]
    public void H5py_latest_format_weights_read_through_dense_links_and_attributes()
    {
        using var dir = new TempDir();
        string path = dir.File("model.weights.h5");
        File.Copy(Fixture("keras3_h5py_latest.weights.h5"), path);
        using var reader = KerasH5Reader.Open(path);

        Assert.Equal(12, reader.DeclaredLayers.Count);
        Assert.Equal(12, reader.Tensors.Count);
        Assert.All(reader.DeclaredLayers, l => Assert.Equal([4L, 3], l.Weight!.Shape));
    }

    [Fact]
    public void Fractal_heap_claiming_billions_of_rows_is_refused()
    {
        var bytes = File.ReadAllBytes(Fixture("keras3_h5py_latest.weights.h5"));
        // Header fields before "maximum heap size": 14 bytes, 12 lengths and addresses, the table width and
        // two block sizes. PureHDF sizes its row table as (maximum heap size - first row bits): 1 wraps around.
        int heap = IndexOf(bytes, "FRHP");
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(heap + 14 + 12 * 8 + 2 + 2 * 8), 1);

        AssertRefused(bytes, "do not form a doubling table");
    }

    [Fact]
    public void Local_heap_claiming_2_GB_is_refused()
    {
        var bytes = File.ReadAllBytes(Fixture("keras2_h5py.h5"));
        int heap = IndexOf(bytes, "HEAP");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(heap + 8), TwoGigabytes); // data segment size

        AssertRefused(bytes, "local heap data segment of 2147483632 bytes");
    }

    [Fact]
    public void Global_heap_collection_claiming_2_GB_is_refused()
    {
        var bytes = File.ReadAllBytes(Fixture("keras2_h5py.h5"));
        int collection = IndexOf(bytes, "GCOL");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(collection + 8), TwoGigabytes); // collection size

        AssertRefused(bytes, "global heap collection");
    }

    [Fact]
    public void Global_heap_object_claiming_2_GB_is_refused()
    {
        var bytes = File.ReadAllBytes(Fixture("keras2_h5py.h5"));
        int collection = IndexOf(bytes, "GCOL");
        // The first object follows the 16-byte collection header: index, reference count, reserved, size.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(collection + 16 + 8), TwoGigabytes);

        AssertRefused(bytes, "global heap object of 2147483632 bytes");
    }

    [Fact]
    public void Continuation_block_claiming_2_GB_is_refused()
    {
        var bytes = File.ReadAllBytes(Fixture("keras2_h5py.h5"));
        // A version 1 continuation message: type 0x10, size 16, flags and reserved zero, then address and length.
        int message = IndexOf(bytes, [0x10, 0, 0x10, 0, 0, 0, 0, 0]);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(message + 8 + 8), TwoGigabytes);

        AssertRefused(bytes, "continuation");
    }

    [Fact]
    public void Attribute_claiming_2_GB_is_refused()
    {
        var bytes = File.ReadAllBytes(Fixture("keras2_h5py.h5"));
        // Version 1 attribute message: the name padded to 16 bytes, then the datatype (class byte, three bit
        // field bytes, element size): each of the 3 layer names now claims 2 GB.
        int name = IndexOf(bytes, "layer_names\0");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(name + 16 + 4), (uint)TwoGigabytes);

        AssertRefused(bytes, "attribute 'layer_names' data");
    }

    [Fact]
    public void Link_name_claiming_2_GB_is_refused()
    {
        using var dir = new TempDir();
        string seed = dir.File("seed.h5");
        F.WriteKeras2Model(seed);
        var bytes = File.ReadAllBytes(seed);
        // PureHDF writes link names with a 4-byte length before them.
        int name = IndexOf(bytes, "model_weights");
        Assert.Equal(13u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(name - 4)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(name - 4), (uint)TwoGigabytes);

        AssertRefused(bytes, "link name of 2147483632 bytes");
    }

    [Fact]
    public void Chunked_dataset_claiming_more_than_deflate_can_expand_is_refused()
    {
        using var dir = new TempDir();
        string path = dir.File("model.h5");
        new PureHDF.H5File
        {
            Attributes = new() { ["layer_names"] = new[] { "d" } },
            ["d"] = new PureHDF.H5Group
            {
                Attributes = new() { ["weight_names"] = new[] { "d/kernel:0" } },
                ["d"] = new PureHDF.H5Group
                {
                    ["kernel:0"] = new PureHDF.H5Dataset(F.Values(3, 1 << 16), chunks: [1 << 6, 1 << 8], fileDims: [1 << 8, 1 << 8]),
                },
            },
        }.Write(path, F.Options);
        long length = new FileInfo(path).Length;
        Assert.True((1L << 18) * 4 < Hdf5Preflight.MaxExpansion * length, "the valid file must pass");
        KerasH5BadInputTests.OpenAndReadAll(path);
        var bytes = File.ReadAllBytes(path);
        int dims = IndexOf(bytes, BitConverter.GetBytes(256UL).Concat(BitConverter.GetBytes(256UL)).ToArray());
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(dims), 1UL << 27); // 2^35 elements: 128 GB

        var e = AssertRefused(bytes, "bytes");
        Assert.Equal("d/d/kernel:0", e.Tensor);
    }

    /// <summary>Opens and reads <paramref name="bytes"/>; expects a refusal mentioning <paramref name="reason"/>.</summary>
    private static ModelFormatException AssertRefused(byte[] bytes, string reason)
    {
        using var dir = new TempDir();
        string path = dir.File("model.h5");
        File.WriteAllBytes(path, bytes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ModelFormatException>(() => KerasH5BadInputTests.OpenAndReadAll(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(path, e.File);
        Assert.Contains(path, e.Message);
        Assert.Contains(reason, e.Reason);
        Assert.True(allocated < Bound, $"allocated {allocated} bytes (bound {Bound}): {e.Message}");
        return e;
    }

    private static int IndexOf(byte[] bytes, string text) => IndexOf(bytes, Encoding.ASCII.GetBytes(text));

    private static int IndexOf(byte[] bytes, byte[] pattern)
    {
        int at = bytes.AsSpan().IndexOf(pattern);
        Assert.True(at >= 0, $"pattern not found in the fixture");
        return at;
    }
}
