using System.Text;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.ModelFiles;

namespace WeightWatcher.Core.Tests.Formats;

/// <summary>
/// <see cref="ModelOpener"/>: content detection, empty models, and clear errors for paths that hold no model.
/// </summary>
public sealed class ModelOpenerTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("{}")]
    [InlineData("{}      ")]
    [InlineData("{\"__metadata__\":{\"format\":\"pt\"}}")]
    public void Empty_safetensors_model_opens_with_zero_tensors(string header)
    {
        string path = _dir.File("empty.safetensors");
        File.WriteAllBytes(path, Safetensors(header, []));
        Assert.Equal(ModelFileKind.Safetensors, ModelOpener.Detect(path));
        using var reader = ModelOpener.Open(path);
        Assert.Equal("safetensors", reader.FormatName);
        Assert.Empty(reader.Tensors);
    }

    [Fact]
    public void Writer_output_with_no_tensors_opens_with_zero_tensors()
    {
        string path = _dir.File("none.safetensors");
        SafetensorsWriter.Write(path, []);
        Assert.Equal(0, OpenAndReadAll(path));
    }

    [Fact]
    public void Missing_path_is_refused()
    {
        string path = _dir.File("does-not-exist.safetensors");
        AssertRejected(() => ModelOpener.Open(path), path, null, "no such file or directory");
    }

    [Fact]
    public void Directory_without_a_model_file_is_refused()
    {
        File.WriteAllText(_dir.File("README.md"), "# not a model\n");
        File.WriteAllText(_dir.File("config.json"), "{\"hidden_size\": 8}");
        AssertRejected(() => ModelOpener.Open(_dir.Path), _dir.Path, null, "no recognised model file");
    }

    [Fact]
    public void Empty_directory_is_refused()
    {
        AssertRejected(() => ModelOpener.Open(_dir.Path), _dir.Path, null, "no recognised model file");
    }

    [Fact]
    public void Directory_with_two_model_files_and_no_index_is_refused()
    {
        SafetensorsWriter.Write(_dir.File("a.safetensors"), [new NamedTensor("w", [1], [1f])]);
        SafetensorsWriter.Write(_dir.File("b.safetensors"), [new NamedTensor("w", [1], [1f])]);
        AssertRejected(() => ModelOpener.Open(_dir.Path), _dir.Path, null, "2 model files");
    }

    [Fact]
    public void Directory_with_one_model_file_opens_it()
    {
        File.WriteAllText(_dir.File("README.md"), "notes");
        NumpyWriter.WriteNpz(_dir.File("weights.npz"), [new NamedTensor("w", [2], [1f, 2f])]);
        using var reader = ModelOpener.Open(_dir.Path);
        Assert.Equal("npz", reader.FormatName);
        Assert.Equal([1.0, 2.0], reader.ReadTensor(Assert.Single(reader.Tensors)));
    }

    [Fact]
    public void Content_not_extension_decides_the_format()
    {
        // An .npy file named .safetensors, and a safetensors file named .npz, open by content.
        string npy = _dir.File("really-npy.safetensors");
        using (var fs = File.Create(npy))
        {
            NumpyWriter.WriteNpy(fs, new NamedTensor("x", [3], [1f, 2f, 3f]));
        }
        string st = _dir.File("really-safetensors.npz");
        SafetensorsWriter.Write(st, [new NamedTensor("w", [2], [4f, 5f])]);
        Assert.Equal(ModelFileKind.Npy, ModelOpener.Detect(npy));
        Assert.Equal(ModelFileKind.Safetensors, ModelOpener.Detect(st));
        using var a = ModelOpener.Open(npy);
        using var b = ModelOpener.Open(st);
        Assert.Equal("npy", a.FormatName);
        Assert.Equal("safetensors", b.FormatName);
    }

    [Theory]
    [InlineData("this is not a zip archive, only text")]
    [InlineData("PK")]
    [InlineData("")]
    public void Non_zip_file_named_npz_is_unknown_and_refused(string content)
    {
        string path = _dir.File("fake.npz");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes(content));
        Assert.Equal(ModelFileKind.Unknown, ModelOpener.Detect(path));
        AssertOpenRejected(path, null, "unrecognised model format");
    }

    [Fact]
    public void Zip_archive_that_is_not_an_npz_opens_with_zero_tensors()
    {
        string path = _dir.File("other.npz");
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("readme.txt").Open();
            s.Write("hello"u8);
        }
        Assert.Equal(ModelFileKind.Zip, ModelOpener.Detect(path));
        Assert.Equal(0, OpenAndReadAll(path));
    }
}
