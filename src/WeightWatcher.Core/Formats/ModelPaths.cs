namespace WeightWatcher.Core.Formats;

/// <summary>File-system helpers shared by the readers: bounded file heads and shard paths that cannot escape.</summary>
internal static class ModelPaths
{
    /// <summary>
    /// The full path of a file named by an index or manifest (<paramref name="listedIn"/>), which must lie
    /// inside <paramref name="directory"/>. The comparison is against the directory plus a separator, so a
    /// sibling whose name merely starts with the directory's name ("model-evil" next to "model") is refused,
    /// as are empty names, null characters and absolute or <c>..</c> paths leading out.
    /// </summary>
    public static string ShardInside(string directory, string shard, string listedIn)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
        string shown = shard.Replace("\0", "\\0", StringComparison.Ordinal);
        string full;
        try
        {
            if (shard.Length == 0 || shard.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException("empty name or null character", nameof(shard));
            }
            full = Path.GetFullPath(Path.Combine(root, shard));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ModelFormatException(listedIn, null, $"shard '{shown}' is not a valid file name", e);
        }
        if (!full.StartsWith(root, StringComparison.Ordinal) || full.Length == root.Length)
        {
            throw new ModelFormatException(listedIn, null, $"shard '{shown}' points outside the model directory");
        }
        return full;
    }

    /// <summary>
    /// The length of <paramref name="file"/>'s content, following symbolic links (<see cref="FileInfo.Length"/>
    /// gives a link's own length: Hugging Face caches are made of links).
    /// </summary>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static long FileLength(string file)
    {
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read);
        return RandomAccess.GetLength(handle);
    }

    /// <summary>Reads up to <paramref name="destination"/>.Length first bytes of <paramref name="file"/>; returns how many.</summary>
    public static int ReadHead(string file, Span<byte> destination)
    {
        try
        {
            using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
            return fs.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(file, null, $"cannot open: {e.Message}", e);
        }
    }
}
