using System.Runtime.InteropServices;

namespace WeightWatcher.Core.Formats;

/// <summary>
/// Canonical paths with every symbolic link resolved, in every component: a file reached through a linked
/// parent folder is where the link leads, not where its name says.
/// </summary>
internal static partial class RealPaths
{
    /// <summary>
    /// The canonical path of an existing <paramref name="path"/> (libc <c>realpath</c> on Unix), or null when
    /// it does not exist or cannot be resolved; elsewhere the full path with only its last link resolved.
    /// </summary>
    public static string? Resolve(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            nint resolved = RealPath(path, 0);
            if (resolved == 0)
            {
                return null;
            }
            try
            {
                return Marshal.PtrToStringUTF8(resolved);
            }
            finally
            {
                Free(resolved);
            }
        }
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return null;
        }
        var target = File.ResolveLinkTarget(path, returnFinalTarget: true);
        return Path.GetFullPath(target?.FullName ?? path);
    }

    /// <summary>True when <paramref name="path"/> resolves to <paramref name="folder"/> or a place below it.</summary>
    public static bool IsInside(string path, string folder)
    {
        string? real = Resolve(path);
        string? root = Resolve(folder);
        if (real is null || root is null)
        {
            return false;
        }
        root = Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar;
        return real.StartsWith(root, StringComparison.Ordinal);
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);
}
