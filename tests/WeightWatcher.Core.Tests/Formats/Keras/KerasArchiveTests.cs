using System.IO.Compression;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Keras;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Tests.Support;
using F = WeightWatcher.Core.Tests.Formats.Keras.KerasH5Fixtures;

namespace WeightWatcher.Core.Tests.Formats.Keras;

/// <summary>Keras 3 <c>.keras</c> archives: config.json + model.weights.h5 in a zip.</summary>
[Collection(KerasFuzzCollection.Name)]
public sealed class KerasArchiveTests
{
    private static string WriteArchive(TempDir dir, CompressionLevel level, bool withConfig = true, byte[]? weights = null)
    {
        string h5 = dir.File("inner.weights.h5");
        F.WriteKeras3Weights(h5, configBeside: false);
        string path = dir.File("model.keras");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        if (withConfig)
        {
            using var w = new StreamWriter(zip.CreateEntry("config.json", level).Open());
            w.Write(F.Keras3Config);
        }
        using (var w = new StreamWriter(zip.CreateEntry("metadata.json", level).Open()))
        {
            w.Write("""{"keras_version": "3.5.0"}""");
        }
        using (var s = zip.CreateEntry("model.weights.h5", level).Open())
        {
            s.Write(weights ?? File.ReadAllBytes(h5));
        }
        File.Delete(h5);
        return path;
    }

    [Theory]
    [InlineData(CompressionLevel.NoCompression)]
    [InlineData(CompressionLevel.Optimal)]
    public void Keras_archive_opens_typed_and_ordered_by_its_config(CompressionLevel level)
    {
        using var dir = new TempDir();
        string path = WriteArchive(dir, level);

        Assert.Equal(ModelFileKind.Zip, ModelOpener.Detect(path));
        string copy;
        using (var reader = ModelOpener.Open(path))
        {
            var keras = Assert.IsType<KerasH5Reader>(reader);
            Assert.Equal(path, reader.ModelPath);
            Assert.Equal("keras3-archive", reader.FormatName);
            Assert.Equal(["features", "bn", "flat", "classifier"], keras.DeclaredLayers.Select(l => l.Name));
            Assert.Equal([LayerType.Conv2D, LayerType.Norm, LayerType.Flattened, LayerType.Dense], keras.DeclaredLayers.Select(l => l.Type));
            var conv = keras.DeclaredLayers[0].Weight!;
            Assert.Equal(F.ConvKernel.Select(v => (double)v), reader.ReadTensor(conv));
            copy = conv.SourceFile;
            Assert.True(File.Exists(copy));
        }
        Assert.False(File.Exists(copy), "the temporary copy of the weights outlived the reader");
    }

    [Fact]
    public void Keras_archive_without_config_falls_back_to_group_order()
    {
        using var dir = new TempDir();
        string path = WriteArchive(dir, CompressionLevel.NoCompression, withConfig: false);
        using var reader = KerasArchive.Open(path);
        Assert.Equal(["batch_normalization", "conv2d", "dense", "flatten"], reader.DeclaredLayers.Select(l => l.Name));
    }

    [Fact]
    public void Keras_archive_with_a_broken_weights_entry_names_the_archive()
    {
        using var dir = new TempDir();
        string path = WriteArchive(dir, CompressionLevel.Optimal, weights: "not hdf5 at all"u8.ToArray());

        var e = Assert.Throws<ModelFormatException>(() => ModelOpener.Open(path));
        Assert.Equal(path, e.File);
        Assert.Contains("model.weights.h5", e.Reason);
        Assert.Contains("not an HDF5 file", e.Reason);
    }

    [Fact]
    public void A_weights_entry_that_expands_like_a_zip_bomb_is_refused_before_anything_is_copied()
    {
        using var dir = new TempDir();
        string path = WriteArchive(dir, CompressionLevel.Optimal, weights: new byte[64 << 20]);
        long compressed = new FileInfo(path).Length;
        var e = Assert.Throws<ModelFormatException>(() => KerasArchive.Open(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(KerasArchive.WeightsEntry, e.Message, StringComparison.Ordinal);
        Assert.Contains("not model weights", e.Message, StringComparison.Ordinal);
        Assert.True(compressed < 1 << 20, $"the archive is {compressed} bytes");
    }

    [Fact]
    public async Task Mutated_keras_archives_fail_only_with_ModelFormatException()
    {
        using var dir = new TempDir();
        byte[] seed = File.ReadAllBytes(WriteArchive(dir, CompressionLevel.NoCompression));
        var report = await FormatFuzzer.RunAsync(dir.File("cases"), [FuzzSeed.SingleFile("keras-archive", "case.keras", seed)], new FuzzOptions
        {
            Exercise = path =>
            {
                using var reader = ModelOpener.Open(path);
                foreach (var t in reader.Tensors.Where(t => t.ElementCount <= 1 << 20))
                {
                    reader.ReadTensor(t);
                }
            },
            Mutate = (original, _, random) => TruncateOrFlip(original, random),
            CasesPerSeed = 300,
            RandomSeed = 7,
        });
        report.AssertNoProblems();
        report.AssertExercised(300, minRejected: 0.1, minAccepted: 0);
    }

    /// <summary>A third of the cases truncated, the others with one bit flipped.</summary>
    private static (byte[] Bytes, string What) TruncateOrFlip(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        if (random.Next(3) == 0)
        {
            int length = random.Next(0, bytes.Length);
            return (bytes[..length], $"truncated to {length}");
        }
        int p = random.Next(bytes.Length);
        bytes[p] ^= (byte)(1 << random.Next(8));
        return (bytes, $"bit flip at {p}");
    }
}
