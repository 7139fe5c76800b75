using System.Security.Cryptography;
using System.Text;

namespace WeightWatcher.Storage;

/// <summary>
/// Node-local copies of models held in stores that have no local folder, so the file-based model readers can
/// open them. Each model version is downloaded at most once per node and kept, least recently used first out,
/// within a byte budget. Thread-safe; one instance per cache directory and process.
/// </summary>
/// <remarks>
/// Eviction never removes a model being staged, but it can remove one staged earlier that a reader still has
/// open: size <c>maxBytes</c> for the models a node analyses at the same time. Open files stay readable on Linux
/// after their folder is deleted.
/// </remarks>
public sealed class ModelStaging
{
    /// <summary>Marks the download folders that are renamed into place once complete.</summary>
    private const string PartialMarker = ".partial-";

    /// <summary>A partial folder this old belongs to a crashed run, not to a download still in progress.</summary>
    private static readonly TimeSpan StalePartialAge = TimeSpan.FromHours(1);

    private readonly string _cacheDirectory;
    private readonly long _maxBytes;
    private readonly SharedWork<string> _staging = new();
    private readonly Lock _gate = new();
    private long _filesDownloaded;

    /// <summary>Creates a staging area; the folder is created on first use.</summary>
    /// <param name="cacheDirectory">Node-local folder for the copies; this instance owns everything in it.</param>
    /// <param name="maxBytes">Bytes of staged models to keep; older models beyond it are deleted after each download.</param>
    public ModelStaging(string cacheDirectory, long maxBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheDirectory);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        _cacheDirectory = Path.GetFullPath(cacheDirectory);
        _maxBytes = maxBytes;
    }

    /// <summary>How many files this instance has downloaded (a reused copy downloads none).</summary>
    internal long FilesDownloaded => Interlocked.Read(ref _filesDownloaded);

    /// <summary>
    /// Returns a local path for the model at <paramref name="modelRoot"/>: the file for a single-file model, the
    /// folder (without a trailing separator) for a folder model. A store with a local folder is used in place;
    /// otherwise <paramref name="files"/> are downloaded into the cache unless a complete copy of these very
    /// versions is already there. Concurrent callers for one model share one download.
    /// </summary>
    /// <param name="store">The store holding the model.</param>
    /// <param name="modelRoot">The model's file path, or its folder prefix ending in '/'.</param>
    /// <param name="files">The model's objects as listed: the file itself, or every file under the folder.</param>
    /// <param name="cancellation">Cancels waiting (and the download, when this caller started it).</param>
    /// <exception cref="ArgumentException">A file does not lie under <paramref name="modelRoot"/>, or there are none.</exception>
    /// <exception cref="StoreException">A file cannot be downloaded, or changed while being downloaded.</exception>
    public async Task<string> StageAsync(IModelStore store, string modelRoot, IReadOnlyList<StoredObject> files, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(modelRoot);
        ArgumentNullException.ThrowIfNull(files);
        var isFolder = modelRoot.Length == 0 || modelRoot.EndsWith('/');
        if (store.LocalRoot is { } localRoot)
        {
            string rootPath = ValidRoot(store, modelRoot);
            return rootPath.Length == 0 ? localRoot : Path.Combine(localRoot, rootPath.Replace('/', Path.DirectorySeparatorChar));
        }
        CheckModelFiles(store, modelRoot, files);
        var key = KeyOf(modelRoot, files);
        var folder = Path.Combine(_cacheDirectory, key);
        await _staging.RunAsync(key, token => StageCoreAsync(store, modelRoot, isFolder, files, key, token), cancellation).ConfigureAwait(false);
        return isFolder ? folder : Path.Combine(folder, FileName(modelRoot));
    }

    /// <summary>
    /// Checks, before any local file is written, that the model's root and every file's path are object paths
    /// that cannot leave a local folder (no <c>..</c>, no absolute path) and that every file lies under the root.
    /// </summary>
    /// <exception cref="StoreException">A path is not a valid object path.</exception>
    /// <exception cref="ArgumentException">A file does not lie under <paramref name="modelRoot"/>, there are none, or one is named twice.</exception>
    public static void CheckModelFiles(IModelStore store, string modelRoot, IReadOnlyList<StoredObject> files)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(modelRoot);
        ArgumentNullException.ThrowIfNull(files);
        ValidRoot(store, modelRoot);
        CheckFiles(store, modelRoot, modelRoot.Length == 0 || modelRoot.EndsWith('/'), files);
    }

    /// <summary>The model's root without its trailing '/', checked to be an object path ("" for the whole store).</summary>
    private static string ValidRoot(IModelStore store, string modelRoot)
    {
        var rootPath = modelRoot.TrimEnd('/');
        if (rootPath.Length > 0)
        {
            StorePaths.ValidateObjectPath(store.Description, rootPath);
        }
        return rootPath;
    }

    private static void CheckFiles(IModelStore store, string modelRoot, bool isFolder, IReadOnlyList<StoredObject> files)
    {
        if (files.Count == 0)
        {
            throw new ArgumentException($"no files given for the model {modelRoot}", nameof(files));
        }
        foreach (var file in files)
        {
            // Blob names become local file names below: refuse any that could leave the cache folder.
            StorePaths.ValidateObjectPath(store.Description, file.Path);
            var under = isFolder ? file.Path.StartsWith(modelRoot, StringComparison.Ordinal) : file.Path == modelRoot;
            if (!under)
            {
                throw new ArgumentException($"{file.Path} does not lie under the model {modelRoot}", nameof(files));
            }
        }
        if (files.Select(f => f.Path).Distinct(StringComparer.Ordinal).Count() != files.Count)
        {
            throw new ArgumentException($"the files of the model {modelRoot} name one path twice", nameof(files));
        }
    }

    /// <summary>Names a model version: any file added, removed or changed gives another folder, so a copy is never stale.</summary>
    private static string KeyOf(string modelRoot, IReadOnlyList<StoredObject> files)
    {
        var text = new StringBuilder(modelRoot).Append('\n');
        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            text.Append(file.Path).Append('\n').Append(file.Version).Append('\n');
        }
        // 128 bits: collision-free for any cache, and short enough to keep deep model paths under PATH_MAX.
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 16);
    }

    private static string FileName(string path) => path[(path.LastIndexOf('/') + 1)..];

    private async Task<string> StageCoreAsync(IModelStore store, string modelRoot, bool isFolder, IReadOnlyList<StoredObject> files, string key, CancellationToken cancellation)
    {
        var folder = Path.Combine(_cacheDirectory, key);
        lock (_gate)
        {
            // Under the lock that eviction takes, so a copy found here is not deleted before it is marked as used.
            if (Directory.Exists(folder))
            {
                MarkUsed(folder);
                return folder;
            }
        }
        Directory.CreateDirectory(_cacheDirectory);
        // Everything is downloaded into a private folder that is renamed into place when complete: the model
        // folder exists only whole, which is what makes "it exists" mean "reuse it" after a crash too.
        var partial = Path.Combine(_cacheDirectory, key + PartialMarker + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var file in files)
            {
                var relative = isFolder ? file.Path[modelRoot.Length..] : FileName(modelRoot);
                await DownloadAsync(store, file, Path.Combine(partial, relative.Replace('/', Path.DirectorySeparatorChar)), cancellation).ConfigureAwait(false);
            }
            lock (_gate)
            {
                if (Directory.Exists(folder))
                {
                    // Another process sharing the cache finished the same version first; its copy is as good.
                    Directory.Delete(partial, recursive: true);
                }
                else
                {
                    Directory.Move(partial, folder);
                }
                MarkUsed(folder);
            }
        }
        catch
        {
            TryDeleteFolder(partial);
            throw;
        }
        Evict();
        return folder;
    }

    private async Task DownloadAsync(IModelStore store, StoredObject file, string target, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        long copied;
        await using (var source = await store.OpenReadAsync(file.Path, cancellation).ConfigureAwait(false))
        await using (var destination = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            try
            {
                await source.CopyToAsync(destination, 1 << 20, cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException)
            {
                throw new StoreException(store.Description, file.Path, "download failed: " + e.GetType().Name, e);
            }
            copied = destination.Length;
        }
        Interlocked.Increment(ref _filesDownloaded);
        // The copy must be of the listed version, since the folder is named after it: a replaced object fails
        // here and is staged under its new version by the next run.
        var now = await store.GetAsync(file.Path, cancellation).ConfigureAwait(false);
        if (copied != file.Length || now?.Version != file.Version)
        {
            throw new StoreException(store.Description, file.Path, $"changed while being staged (listed version {file.Version}, {file.Length} bytes; read {copied} bytes)", null);
        }
    }

    /// <summary>Deletes least recently used models until the cache fits <see cref="_maxBytes"/>, sparing any being staged.</summary>
    private void Evict()
    {
        lock (_gate)
        {
            var models = new List<(DirectoryInfo Folder, long Bytes)>();
            foreach (var folder in new DirectoryInfo(_cacheDirectory).EnumerateDirectories())
            {
                var marker = folder.Name.IndexOf(PartialMarker, StringComparison.Ordinal);
                if (marker < 0)
                {
                    models.Add((folder, SizeOf(folder)));
                }
                else if (!_staging.IsRunning(folder.Name[..marker]) && DateTime.UtcNow - folder.LastWriteTimeUtc > StalePartialAge)
                {
                    TryDeleteFolder(folder.FullName);
                }
            }
            var total = models.Sum(m => m.Bytes);
            foreach (var (folder, bytes) in models.OrderBy(m => m.Folder.LastWriteTimeUtc))
            {
                if (total <= _maxBytes)
                {
                    break;
                }
                if (!_staging.IsRunning(folder.Name) && TryDeleteFolder(folder.FullName))
                {
                    total -= bytes;
                }
            }
        }
    }

    private static long SizeOf(DirectoryInfo folder) =>
        folder.EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Sum(f => f.Length);

    // The folder's last-write time is the LRU clock: nothing writes to a staged folder after its rename.
    private static void MarkUsed(string folder) => Directory.SetLastWriteTimeUtc(folder, DateTime.UtcNow);

    private static bool TryDeleteFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a folder that cannot be deleted now is tried again at the next eviction.
            return false;
        }
    }
}
