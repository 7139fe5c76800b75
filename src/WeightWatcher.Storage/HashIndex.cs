using System.Text.Json;
using System.Text.Json.Serialization;

namespace WeightWatcher.Storage;

/// <summary>
/// Caches content hashes by (path, <see cref="StoredObject.Version"/>) in a JSON file in a store, so unchanged
/// objects are not re-read every night. Thread-safe.
/// </summary>
public sealed class HashIndex
{
    private const int FormatVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    private readonly IModelStore _store;
    private readonly string _indexPath;
    private readonly Dictionary<string, Entry> _entries;
    private readonly Lock _gate = new();
    private readonly SharedWork<(string Path, string Version)> _hashing = new();
    private int _computed;

    private HashIndex(IModelStore store, string indexPath, Dictionary<string, Entry> entries)
    {
        _store = store;
        _indexPath = indexPath;
        _entries = entries;
    }

    /// <summary>How many hashes were computed (not found in the index) since the index was loaded.</summary>
    public int Computed => Volatile.Read(ref _computed);

    /// <summary>
    /// Loads the index at <paramref name="indexPath"/> of <paramref name="store"/>. A missing file gives an empty
    /// index, and so does a corrupt one: the index is only a cache, and rehashing is always correct.
    /// </summary>
    /// <exception cref="StoreException">The file exists but cannot be read.</exception>
    public static async Task<HashIndex> LoadAsync(IModelStore store, string indexPath, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(indexPath);
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        if (await store.GetAsync(indexPath, cancellation).ConfigureAwait(false) is not null)
        {
            await using var stream = await store.OpenReadAsync(indexPath, cancellation).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellation).ConfigureAwait(false);
            foreach (var (path, entry) in Parse(buffer.ToArray()))
            {
                entries[path] = entry;
            }
        }
        return new HashIndex(store, indexPath, entries);
    }

    /// <summary>
    /// The SHA-256 (lowercase hex) of <paramref name="obj"/>'s content: from the index when it holds this path at
    /// this version, else computed by reading the object (once, however many callers ask at the same time).
    /// </summary>
    /// <param name="store">The store holding <paramref name="obj"/> (not necessarily the one holding the index).</param>
    /// <param name="obj">The object, as listed or fetched from <paramref name="store"/>.</param>
    /// <param name="cancellation">Cancels waiting (and the read, when this caller started it).</param>
    public Task<string> HashAsync(IModelStore store, StoredObject obj, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(obj);
        return Lookup(obj) is { } known
            ? Task.FromResult(known)
            : _hashing.RunAsync((obj.Path, obj.Version), token => ComputeAsync(store, obj, token), cancellation);
    }

    /// <summary>Writes the index back to the store and path it was loaded from (atomically, as every store write is).</summary>
    public Task SaveAsync(CancellationToken cancellation = default)
    {
        var document = new Document { Format = FormatVersion };
        lock (_gate)
        {
            foreach (var (path, entry) in _entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                document.Entries[path] = entry;
            }
        }
        return _store.WriteAsync(_indexPath, JsonSerializer.SerializeToUtf8Bytes(document, JsonOptions), cancellation);
    }

    private string? Lookup(StoredObject obj)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(obj.Path, out var entry) && entry.Version == obj.Version ? entry.Sha256 : null;
        }
    }

    private async Task<string> ComputeAsync(IModelStore store, StoredObject obj, CancellationToken cancellation)
    {
        // A caller that lost the race to a run that has just finished finds the result here rather than rehashing.
        if (Lookup(obj) is { } known)
        {
            return known;
        }
        var sha256 = await ContentHasher.Sha256Async(store, obj.Path, cancellation).ConfigureAwait(false);
        Interlocked.Increment(ref _computed);
        // The content read may be newer than obj.Version if the object was replaced since it was listed; record
        // the hash only when the version is unchanged, so the index never pairs a version with another's content.
        var now = await store.GetAsync(obj.Path, cancellation).ConfigureAwait(false);
        if (now?.Version == obj.Version)
        {
            lock (_gate)
            {
                _entries[obj.Path] = new Entry(obj.Version, sha256);
            }
        }
        return sha256;
    }

    private static IEnumerable<KeyValuePair<string, Entry>> Parse(byte[] json)
    {
        Document? document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(json, JsonOptions);
        }
        catch (JsonException)
        {
            return [];
        }
        if (document is null || document.Format != FormatVersion)
        {
            return [];
        }
        // Entries are checked one by one: a hand-edited or truncated-then-repaired file keeps its good entries.
        return document.Entries.Where(e => e.Value is { Version: not null, Sha256: { Length: 64 } sha } && sha.All(char.IsAsciiHexDigitLower));
    }

    private sealed record Entry(string Version, string Sha256);

    private sealed class Document
    {
        public int Format { get; set; }

        [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
        public Dictionary<string, Entry> Entries { get; } = new(StringComparer.Ordinal);
    }
}
