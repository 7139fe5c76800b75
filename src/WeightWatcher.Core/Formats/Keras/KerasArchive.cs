using System.IO.Compression;

namespace WeightWatcher.Core.Formats.Keras;

/// <summary>
/// A Keras 3 <c>.keras</c> archive: a zip holding <c>config.json</c>, <c>metadata.json</c> and
/// <c>model.weights.h5</c>. The weights entry is copied to a temporary file (HDF5 needs random access; the
/// copy is streamed, so memory stays bounded) that the reader deletes when disposed; the config is read
/// from the archive.
/// </summary>
public static class KerasArchive
{
    /// <summary>The weights entry of a <c>.keras</c> archive.</summary>
    public const string WeightsEntry = "model.weights.h5";

    /// <summary>The model config entry of a <c>.keras</c> archive.</summary>
    public const string ConfigEntry = "config.json";

    /// <summary>Largest expansion accepted for the weights entry (compressed to uncompressed size).</summary>
    public const long MaxWeightsRatio = 64;

    /// <summary>True when <paramref name="file"/> is a zip with a <c>model.weights.h5</c> entry.</summary>
    public static bool IsKerasArchive(string file)
    {
        try
        {
            using var zip = ZipFile.OpenRead(file);
            return zip.GetEntry(WeightsEntry) is not null;
        }
        catch (Exception)
        {
            return false; // a probe: whatever the zip reader makes of a broken file, it is not a .keras archive
        }
    }

    /// <summary>Opens the weights of a <c>.keras</c> archive, typed and ordered by its config.</summary>
    /// <exception cref="ModelFormatException">The archive or its entries cannot be read as Keras.</exception>
    public static KerasH5Reader Open(string file)
    {
        // A directory of its own, so that no stray config.json beside the copy is taken for the model's.
        string tempDir = Path.Combine(Path.GetTempPath(), "ww-keras-" + Guid.NewGuid().ToString("N"));
        string temp = Path.Combine(tempDir, WeightsEntry);
        try
        {
            Directory.CreateDirectory(tempDir);
            string? config;
            using (var zip = ZipFile.OpenRead(file))
            {
                var weights = zip.GetEntry(WeightsEntry)
                    ?? throw new ModelFormatException(file, WeightsEntry, "the archive has no weights entry");
                config = ReadConfig(file, zip.GetEntry(ConfigEntry));
                CheckCopyFits(file, weights, tempDir);
                using var source = weights.Open();
                using var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                CopyAtMost(source, target, weights.Length + 1); // a lying size must not fill the disk
                if (target.Length != weights.Length)
                {
                    throw new ModelFormatException(file, WeightsEntry, $"entry yielded {target.Length} bytes, the archive says {weights.Length}");
                }
            }
            return KerasH5Reader.Open(temp, config, file, () => TryDelete(tempDir));
        }
        catch (Exception e) when (e is not ModelFormatException and not OperationCanceledException)
        {
            TryDelete(tempDir);
            throw new ModelFormatException(file, null, $"cannot read the archive: {e.Message}", e);
        }
        catch
        {
            TryDelete(tempDir);
            throw;
        }
    }

    /// <summary>
    /// Refuses, before anything is written, a weights entry that would expand more than
    /// <see cref="MaxWeightsRatio"/> times (a zip bomb: float weights barely compress, and Keras stores the entry
    /// uncompressed) or that the temporary folder has no room for.
    /// </summary>
    private static void CheckCopyFits(string file, ZipArchiveEntry weights, string tempDir)
    {
        if (weights.Length > (weights.CompressedLength * MaxWeightsRatio) + 4096)
        {
            throw new ModelFormatException(file, WeightsEntry,
                $"entry expands {weights.CompressedLength} bytes to {weights.Length}, more than {MaxWeightsRatio}x: not model weights");
        }
        long free = new DriveInfo(tempDir).AvailableFreeSpace;
        if (weights.Length > free)
        {
            throw new ModelFormatException(file, WeightsEntry,
                $"entry needs {weights.Length} bytes of temporary space, {tempDir} has {free} free");
        }
    }

    private static void CopyAtMost(Stream source, Stream target, long limit)
    {
        var buffer = new byte[1 << 20];
        long copied = 0;
        int n;
        while (copied < limit && (n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, limit - copied))) > 0)
        {
            target.Write(buffer, 0, n);
            copied += n;
        }
    }

    private static string? ReadConfig(string file, ZipArchiveEntry? entry)
    {
        if (entry is null)
        {
            return null;
        }
        if (entry.Length > ReaderLimits.MaxHeaderBytes)
        {
            throw new ModelFormatException(file, ConfigEntry, $"config is larger than {ReaderLimits.MaxHeaderBytes} bytes");
        }
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temporary file left behind is not worth hiding the real error.
        }
    }
}
