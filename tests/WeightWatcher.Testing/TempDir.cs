namespace WeightWatcher.Testing;

/// <summary>A temporary directory removed when disposed.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates a fresh directory under the system temp folder.</summary>
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ww-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>A path inside the directory (not created).</summary>
    /// <param name="parts">The path's parts below the directory, e.g. <c>"store", "a.bin"</c>.</param>
    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Writes <paramref name="bytes"/> to a file inside the directory and returns its path.</summary>
    /// <param name="name">The file's name.</param>
    /// <param name="bytes">Its content.</param>
    public string Write(string name, byte[] bytes)
    {
        string path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
