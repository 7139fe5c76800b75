namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>A temporary host folder the image's non-root user (uid 1654) can write to, deleted afterwards.</summary>
public sealed class HostFolder : IDisposable
{
    /// <summary>Creates it, world-writable (the container's user is not this process's).</summary>
    public HostFolder(string prefix)
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
        WorldWritable(Path);
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

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
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void WorldWritable(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        }
    }
}
