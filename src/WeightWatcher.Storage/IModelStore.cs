namespace WeightWatcher.Storage;

/// <summary>
/// A flat namespace of immutable-until-replaced objects addressed by '/'-separated relative paths: a local
/// folder or a blob container. Implementations are thread-safe.
/// </summary>
public interface IModelStore : IDisposable
{
    /// <summary>Human-readable location for logs and manifests. Never contains secrets (account keys, SAS signatures).</summary>
    string Description { get; }

    /// <summary>Absolute folder of a <see cref="LocalFolderStore"/>, where readers can open objects directly; null for blob stores.</summary>
    string? LocalRoot { get; }

    /// <summary>
    /// Lists every object whose path starts with <paramref name="prefix"/> (a plain string prefix, not a folder:
    /// "a/b" matches "a/b.onnx" and "a/bc/x"), recursively, sorted by path (ordinal). "" lists everything.
    /// </summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellation = default);

    /// <summary>Returns the object at <paramref name="path"/>, or null when there is none.</summary>
    Task<StoredObject?> GetAsync(string path, CancellationToken cancellation = default);

    /// <summary>
    /// Reads min(<paramref name="destination"/>.Length, Length - <paramref name="offset"/>) bytes starting at
    /// <paramref name="offset"/> and returns how many were read (0 at or past the end).
    /// </summary>
    /// <exception cref="StoreException">The object does not exist or cannot be read.</exception>
    Task<int> ReadRangeAsync(string path, long offset, Memory<byte> destination, CancellationToken cancellation = default);

    /// <summary>Opens the object for reading. The stream is seekable and must be disposed by the caller.</summary>
    /// <exception cref="StoreException">The object does not exist or cannot be read.</exception>
    Task<Stream> OpenReadAsync(string path, CancellationToken cancellation = default);

    /// <summary>
    /// Creates or replaces the object atomically: readers see the old content or the new, never a mix
    /// (local: temporary file and rename; blob: a single committed upload).
    /// </summary>
    Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellation = default);

    /// <summary>Deletes the object; returns false when there was none.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken cancellation = default);
}
