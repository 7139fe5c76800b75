namespace WeightWatcher.Storage;

/// <summary>
/// The one path syntax both stores accept. It is checked before any I/O so that a blob name such as
/// "../x" can never turn into a local file outside a store's root or a staging cache.
/// </summary>
internal static class StorePaths
{
    /// <summary>Throws unless <paramref name="path"/> is a well-formed object path: non-empty '/'-separated segments, none "." or "..".</summary>
    public static void ValidateObjectPath(string storeDescription, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var problem = CheckCharacters(path);
        if (problem is null && path.Length == 0)
        {
            problem = "the path is empty";
        }
        if (problem is null && path.EndsWith('/'))
        {
            problem = "the path ends with '/' (objects have no folder entries)";
        }
        problem ??= CheckSegments(path);
        if (problem is not null)
        {
            throw new StoreException(storeDescription, path, problem, null);
        }
    }

    /// <summary>
    /// Throws unless <paramref name="prefix"/> is a usable listing prefix: "" or an object path that may stop
    /// anywhere; the folders it names in full must be well-formed.
    /// </summary>
    public static void ValidatePrefix(string storeDescription, string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var problem = CheckCharacters(prefix);
        var slash = prefix.LastIndexOf('/');
        if (problem is null && slash >= 0)
        {
            problem = CheckSegments(prefix[..slash]);
        }
        if (problem is not null)
        {
            throw new StoreException(storeDescription, prefix, problem, null);
        }
    }

    /// <summary>The folder part of a prefix ("a/b/c" → "a/b", "abc" → ""), the deepest folder a listing has to walk.</summary>
    public static string FolderOfPrefix(string prefix)
    {
        var slash = prefix.LastIndexOf('/');
        return slash < 0 ? "" : prefix[..slash];
    }

    private static string? CheckCharacters(string path)
    {
        if (path.Contains('\0'))
        {
            return "the path contains a null character";
        }
        if (path.StartsWith('/'))
        {
            return "the path is absolute (starts with '/'); store paths are relative to the store";
        }
        if (path.Contains('\\'))
        {
            // On Windows a backslash is a separator, so "a\..\..\x" would escape a folder there.
            return "the path contains '\\'; store paths use '/' as separator";
        }
        if (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0]))
        {
            return "the path is absolute (starts with a drive letter)";
        }
        return null;
    }

    private static string? CheckSegments(string path)
    {
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0)
            {
                return "the path has an empty segment ('//')";
            }
            if (segment is "." or "..")
            {
                return $"the path has a '{segment}' segment, which could leave the store";
            }
        }
        return null;
    }
}
