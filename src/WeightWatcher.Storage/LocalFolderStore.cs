using System.Runtime.CompilerServices;

namespace WeightWatcher.Storage;

/// <summary>A model store on a local (or mounted) folder. Object paths map to files below the root.</summary>
public sealed class LocalFolderStore : IModelStore
{
    /// <summary>Suffix of the temporary files <see cref="WriteAsync"/> renames into place; listings skip them.</summary>
    internal const string TempSuffix = ".wwtmp";

    private readonly string _root;
    private readonly string _rootWithSeparator;

    /// <summary>Opens the folder <paramref name="root"/> (relative paths are resolved against the current directory).</summary>
    /// <param name="root">The folder holding the objects.</param>
    /// <param name="createIfMissing">Create the folder when it does not exist, instead of failing.</param>
    /// <exception cref="StoreException">The folder does not exist and <paramref name="createIfMissing"/> is false, or it cannot be created.</exception>
    public LocalFolderStore(string root, bool createIfMissing = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _rootWithSeparator = _root.EndsWith(Path.DirectorySeparatorChar) ? _root : _root + Path.DirectorySeparatorChar;
        if (!Directory.Exists(_root))
        {
            if (!createIfMissing)
            {
                throw new StoreException(_root, "the folder does not exist");
            }
            try
            {
                Directory.CreateDirectory(_root);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StoreException(_root, "the folder cannot be created: " + e.Message, e);
            }
        }
    }

    /// <inheritdoc />
    public string Description => _root;

    /// <inheritdoc />
    public string? LocalRoot => _root;

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        StorePaths.ValidatePrefix(Description, prefix);
        // Only the folder the prefix names in full can hold matches; walking it alone keeps "models/bert-"
        // from scanning the whole store.
        var folder = StorePaths.FolderOfPrefix(prefix);
        var start = folder.Length == 0 ? _root : Path.Combine(_root, folder.Replace('/', Path.DirectorySeparatorChar));
        var found = new List<StoredObject>();
        if (Directory.Exists(start))
        {
            // Hidden (dot) files are objects too; AttributesToSkip defaults to skipping them.
            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
            try
            {
                foreach (var file in new DirectoryInfo(start).EnumerateFiles("*", options))
                {
                    cancellation.ThrowIfCancellationRequested();
                    if (file.Name.EndsWith(TempSuffix, StringComparison.Ordinal))
                    {
                        continue;
                    }
                    var path = ToStorePath(file.FullName);
                    if (path.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        found.Add(ToStoredObject(path, file));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StoreException(Description, prefix, "the folder cannot be listed: " + e.Message, e);
            }
        }
        found.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        foreach (var item in found)
        {
            cancellation.ThrowIfCancellationRequested();
            yield return item;
        }
    }

    /// <inheritdoc />
    public Task<StoredObject?> GetAsync(string path, CancellationToken cancellation = default)
    {
        var file = new FileInfo(Resolve(path));
        return Task.FromResult(file.Exists ? ToStoredObject(path, file) : null);
    }

    /// <inheritdoc />
    public async Task<int> ReadRangeAsync(string path, long offset, Memory<byte> destination, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var full = Resolve(path);
        try
        {
            using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
            var total = 0;
            while (total < destination.Length)
            {
                var read = await RandomAccess.ReadAsync(handle, destination[total..], offset + total, cancellation).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                total += read;
            }
            return total;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(path, "cannot be read", e);
        }
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellation = default)
    {
        var full = Resolve(path);
        try
        {
            Stream stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous);
            return Task.FromResult(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(path, "cannot be opened", e);
        }
    }

    /// <summary>
    /// Deletes the temporary files that writers killed mid-write (SIGKILL, a pod evicted) left under
    /// <paramref name="prefix"/>: those last written before <paramref name="cutoff"/> of the object path they
    /// stood for. A live write holds its temporary file for milliseconds, so a cutoff a minute back spares
    /// every write still going on; "now" suits paths that have a single writer, the caller.
    /// </summary>
    /// <returns>How many were deleted.</returns>
    public int DeleteAbandonedWrites(string prefix, Func<string, DateTime> cutoff)
    {
        ArgumentNullException.ThrowIfNull(cutoff);
        var folder = StorePaths.FolderOfPrefix(prefix);
        var start = folder.Length == 0 ? _root : Path.Combine(_root, folder.Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(start))
        {
            return 0;
        }
        int deleted = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var file in new DirectoryInfo(start).EnumerateFiles("*" + TempSuffix, options))
        {
            // "<name>.<32 hex digits>.wwtmp" stands for the object "<name>".
            string path = ToStorePath(file.FullName);
            string target = path[..Math.Max(0, path.Length - TempSuffix.Length - 33)];
            if (path.StartsWith(prefix, StringComparison.Ordinal) && file.LastWriteTimeUtc < cutoff(target).ToUniversalTime())
            {
                TryDelete(file.FullName);
                deleted += File.Exists(file.FullName) ? 0 : 1;
            }
        }
        return deleted;
    }

    /// <inheritdoc />
    public async Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellation = default)
    {
        var full = Resolve(path);
        // The temporary file sits beside the target so the rename stays on one file system and is atomic.
        var temp = full + "." + Guid.NewGuid().ToString("N") + TempSuffix;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(content, cancellation).ConfigureAwait(false);
                await stream.FlushAsync(cancellation).ConfigureAwait(false);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            TryDelete(temp);
            if (e is OperationCanceledException)
            {
                throw;
            }
            throw Failure(path, "cannot be written", e);
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string path, CancellationToken cancellation = default)
    {
        var full = Resolve(path);
        try
        {
            if (!File.Exists(full))
            {
                return Task.FromResult(false);
            }
            File.Delete(full);
            return Task.FromResult(true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(path, "cannot be deleted", e);
        }
    }

    /// <summary>Nothing to release: every operation opens and closes its own handles.</summary>
    public void Dispose()
    {
    }

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>
    /// The local version token: any rewrite changes the length or the last-write time. Taken from the
    /// final target of a symbolic link (Hugging Face caches and Kubernetes volumes are made of links),
    /// so a changed target is a new version even when the link itself is untouched.
    /// </summary>
    internal static string VersionOf(FileInfo file)
    {
        var target = Target(file);
        return $"{target.Length}-{target.LastWriteTimeUtc.Ticks}";
    }

    private static StoredObject ToStoredObject(string path, FileInfo file) => new(path, Target(file).Length, VersionOf(file));

    /// <summary>The file a link finally points at (the file itself when it is not a link; a broken link stays itself).</summary>
    private static FileInfo Target(FileInfo file) =>
        file.LinkTarget is not null && file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true } target ? target : file;

    private string Resolve(string path)
    {
        StorePaths.ValidateObjectPath(Description, path);
        if (path.EndsWith(TempSuffix, StringComparison.Ordinal))
        {
            throw new StoreException(Description, path, $"names ending in '{TempSuffix}' are reserved for temporary files", null);
        }
        var full = Path.GetFullPath(Path.Combine(_root, path.Replace('/', Path.DirectorySeparatorChar)));
        // A second, lexical guard after validation: whatever the syntax check missed must still land inside the root.
        if (!full.StartsWith(_rootWithSeparator, StringComparison.Ordinal))
        {
            throw new StoreException(Description, path, "the path leaves the store's folder", null);
        }
        return full;
    }

    private string ToStorePath(string fullName) =>
        fullName[_rootWithSeparator.Length..].Replace(Path.DirectorySeparatorChar, '/');

    private StoreException Failure(string path, string what, Exception e) =>
        e is FileNotFoundException or DirectoryNotFoundException
            ? new StoreException(Description, path, "no such object", e)
            : new StoreException(Description, path, $"{what}: {e.Message}", e);

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary file is skipped by listings and does not hide the error being reported.
        }
    }
}
