namespace WeightWatcher.Storage;

/// <summary>One object (file or blob) held in an <see cref="IModelStore"/>.</summary>
/// <param name="Path">Store-relative path: '/'-separated, no leading '/'.</param>
/// <param name="Length">Length of the content in bytes.</param>
/// <param name="Version">
/// Opaque token that changes whenever the content changes: the ETag for a blob, the length and last-write
/// UTC ticks for a local file. Equal versions of one path mean equal content.
/// </param>
public sealed record StoredObject(string Path, long Length, string Version);
