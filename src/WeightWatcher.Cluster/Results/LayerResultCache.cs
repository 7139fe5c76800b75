using System.Text.Json;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Serialization;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Results;

/// <summary>
/// Layer results by cache key in the result store. Writes are idempotent (the same key always holds
/// the same rows), so a task that runs twice after a re-send does no harm.
/// </summary>
public sealed class LayerResultCache
{
    private readonly IModelStore _store;
    private readonly ResultLayout _layout;

    /// <summary>Creates the cache over <paramref name="store"/> with <paramref name="layout"/>.</summary>
    public LayerResultCache(IModelStore store, ResultLayout layout)
    {
        _store = store;
        _layout = layout;
    }

    /// <summary>The cached result of <paramref name="key"/>, or null when absent or unreadable (then it is recomputed).</summary>
    public async Task<CachedLayer?> TryGetAsync(string key, CancellationToken cancellation = default)
    {
        string path = _layout.CacheEntry(key);
        if (await _store.GetAsync(path, cancellation).ConfigureAwait(false) is null)
        {
            return null;
        }
        try
        {
            await using var stream = await _store.OpenReadAsync(path, cancellation).ConfigureAwait(false);
            return await JsonSerializer.DeserializeAsync<CachedLayer>(stream, ZooMessageSerializer.Json, cancellation).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (StoreException e) when (!e.Unavailable)
        {
            // Deleted between the check and the read: treat as absent. (A store that does not answer is no
            // answer about the entry: that goes up, rather than a layer analyzed again or left out.)
            return null;
        }
    }

    /// <summary>Stores the result of <paramref name="key"/>.</summary>
    public Task PutAsync(string key, CachedLayer layer, CancellationToken cancellation = default) =>
        _store.WriteAsync(_layout.CacheEntry(key), JsonSerializer.SerializeToUtf8Bytes(layer, ZooMessageSerializer.Json), cancellation);

    /// <summary>Stores the spectra of <paramref name="key"/> (written before its result, so a cached result implies them).</summary>
    public Task PutSpectraAsync(string key, IReadOnlyList<WeightWatcher.Reports.Esd.StoredSpectrum> spectra, CancellationToken cancellation = default) =>
        _store.WriteAsync(_layout.EsdEntry(key), WeightWatcher.Reports.Esd.StoredSpectra.Encode(spectra), cancellation);

    /// <summary>
    /// The stored spectra of <paramref name="key"/>, or null when absent (results cached before spectra
    /// were kept) or unreadable: the report then shows the layer without figures.
    /// </summary>
    public async Task<IReadOnlyList<WeightWatcher.Reports.Esd.StoredSpectrum>?> TryGetSpectraAsync(string key, CancellationToken cancellation = default)
    {
        string path = _layout.EsdEntry(key);
        try
        {
            if (await _store.GetAsync(path, cancellation).ConfigureAwait(false) is not { } entry)
            {
                return null;
            }
            var bytes = new byte[entry.Length];
            int read = await _store.ReadRangeAsync(path, 0, bytes, cancellation).ConfigureAwait(false);
            return WeightWatcher.Reports.Esd.StoredSpectra.Decode(bytes.AsSpan(0, read));
        }
        catch (Exception e) when (e is StoreException { Unavailable: false } or FormatException)
        {
            return null;
        }
    }

    /// <summary>Every key in the cache, from one listing (no per-key requests).</summary>
    public async Task<HashSet<string>> ListKeysAsync(CancellationToken cancellation = default)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in _store.ListAsync(_layout.CachePrefix, cancellation).ConfigureAwait(false))
        {
            if (_layout.KeyOf(entry.Path) is { } key)
            {
                keys.Add(key);
            }
        }
        return keys;
    }
}
