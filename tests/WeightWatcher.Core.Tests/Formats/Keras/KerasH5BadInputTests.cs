using System.Buffers.Binary;
using PureHDF;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Keras;
using WeightWatcher.Core.Tests.Support;
using F = WeightWatcher.Core.Tests.Formats.Keras.KerasH5Fixtures;

namespace WeightWatcher.Core.Tests.Formats.Keras;

public sealed class KerasH5BadInputTests
{
    /// <summary>Opens the file and reads every tensor: what an analysis does with it.</summary>
    internal static void OpenAndReadAll(string path)
    {
        using var reader = ModelOpener.Open(path);
        foreach (var t in reader.Tensors)
        {
            reader.ReadTensor(t);
        }
    }

    [Theory]
    [InlineData(0.99)]
    [InlineData(0.9)]
    [InlineData(0.5)]
    [InlineData(0.1)]
    public void Truncated_file_is_a_format_error_naming_the_file(double keep)
    {
        using var dir = new TempDir();
        string path = dir.File("model.h5");
        F.WriteKeras2Model(path);
        long length = new FileInfo(path).Length;
        using (var fs = new FileStream(path, FileMode.Open))
        {
            fs.SetLength((long)(length * keep));
        }

        var e = Assert.Throws<ModelFormatException>(() => OpenAndReadAll(path));
        Assert.Equal(path, e.File);
        Assert.Contains(path, e.Message);
        Assert.False(string.IsNullOrWhiteSpace(e.Reason));
    }

    [Fact]
    public void Eight_byte_file_with_only_the_signature_is_a_format_error()
    {
        using var dir = new TempDir();
        string path = dir.File("model.h5");
        File.WriteAllBytes(path, [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a]);

        var e = Assert.Throws<ModelFormatException>(() => KerasH5Reader.Open(path));
        Assert.Equal(path, e.File);
        Assert.Contains("HDF5", e.Reason);
    }

    [Fact]
    public void Not_hdf5_with_an_h5_name_is_refused_by_content()
    {
        using var dir = new TempDir();
        string path = dir.File("model.h5");
        File.WriteAllText(path, "this is not an HDF5 file, whatever its name says\n");

        Assert.Equal(ModelFileKind.Unknown, ModelOpener.Detect(path));
        var viaOpener = Assert.Throws<ModelFormatException>(() => ModelOpener.Open(path));
        Assert.Equal(path, viaOpener.File);
        var direct = Assert.Throws<ModelFormatException>(() => KerasH5Reader.Open(path));
        Assert.Equal(path, direct.File);
        Assert.Contains("not an HDF5 file", direct.Reason);
    }

    [Fact]
    public void Dataset_claiming_an_absurd_size_is_refused_before_reading()
    {
        using var dir = new TempDir();
        string path = dir.File("model.h5");
        new H5File
        {
            Attributes = new() { ["layer_names"] = new[] { "d" } },
            ["d"] = new H5Group
            {
                Attributes = new() { ["weight_names"] = new[] { "d/kernel:0" } },
                ["d"] = new H5Group { ["kernel:0"] = F.Data(F.Values(3, 37 * 41), 37, 41) },
            },
        }.Write(path, F.Options);
        var bytes = File.ReadAllBytes(path);
        int at = FindDims(bytes, 37, 41);
        Assert.True(at >= 0, "dataspace dims not found in the file");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), 1UL << 40);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<ModelFormatException>(() => OpenAndReadAll(path));
        Assert.Equal(path, e.File);
        Assert.Equal("d/d/kernel:0", e.Tensor);
        Assert.Contains("bytes", e.Reason);
    }

    private static int FindDims(byte[] bytes, ulong d0, ulong d1)
    {
        for (int i = 0; i + 16 <= bytes.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i)) == d0 && BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i + 8)) == d1)
            {
                return i;
            }
        }
        return -1;
    }

    [Fact]
    public void Missing_kernel_listed_in_weight_names_is_a_format_error_naming_the_dataset()
    {
        using var dir = new TempDir();
        string path = dir.File("model.h5");
        F.WriteKeras2Model(path, dropDenseKernel: true);

        var e = Assert.Throws<ModelFormatException>(() => KerasH5Reader.Open(path));
        Assert.Equal(path, e.File);
        Assert.Equal("model_weights/classifier/classifier/kernel:0", e.Tensor);
        Assert.Contains("weight_names", e.Reason);
        Assert.Contains("classifier", e.Reason);
    }

    [Fact]
    public void Layer_listed_without_a_group_is_a_format_error()
    {
        using var dir = new TempDir();
        string path = dir.File("weights.h5");
        new H5File
        {
            Attributes = new() { ["layer_names"] = new[] { "dense", "ghost" } },
            ["dense"] = new H5Group
            {
                Attributes = new() { ["weight_names"] = new[] { "dense/kernel:0" } },
                ["dense"] = new H5Group { ["kernel:0"] = F.Data(F.Values(3, 20 * 10), 20, 10) },
            },
        }.Write(path, F.Options);

        var e = Assert.Throws<ModelFormatException>(() => KerasH5Reader.Open(path));
        Assert.Equal("ghost", e.Tensor);
        Assert.Contains("layer_names", e.Reason);
    }

    [Fact]
    public void Hdf5_file_that_is_not_a_keras_model_is_a_format_error()
    {
        using var dir = new TempDir();
        string path = dir.File("data.h5");
        new H5File { ["x"] = F.Data(F.Values(3, 20), 4, 5) }.Write(path, F.Options);

        Assert.Equal(ModelFileKind.Hdf5, ModelOpener.Detect(path));
        var e = Assert.Throws<ModelFormatException>(() => ModelOpener.Open(path));
        Assert.Equal(path, e.File);
        Assert.Contains("not a Keras model", e.Reason);
    }

    [Fact]
    public void Bad_model_config_json_is_a_format_error()
    {
        using var dir = new TempDir();
        string path = dir.File("model.weights.h5");
        F.WriteKeras3Weights(path, configBeside: false);
        string config = dir.File("config.json");
        File.WriteAllText(config, "{\"class_name\": \"Sequential\", \"config\": ");

        var e = Assert.Throws<ModelFormatException>(() => KerasH5Reader.Open(path));
        Assert.Equal(config, e.File);
        Assert.Contains("JSON", e.Reason);
    }
}
