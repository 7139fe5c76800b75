using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Serialization;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Coordination;

/// <summary>One layer of a remembered plan (its cache key is recomputed from the options and the content hash).</summary>
/// <param name="LayerId">The reference's layer id.</param>
/// <param name="Name">The layer's name.</param>
/// <param name="Ranges">Where its tensor bytes lie, when planned as plain ranges.</param>
public sealed record RememberedLayer(int LayerId, string Name, IReadOnlyList<ByteRange>? Ranges);

/// <summary>A model's layers as planned from its headers.</summary>
/// <param name="Format">The format detected from content.</param>
/// <param name="Layers">Its layers, in id order.</param>
/// <param name="SkippedLayers">Layers with weights that are not analyzed (see <see cref="PlannedModel.SkippedLayers"/>).</param>
/// <param name="Skipped">Those layers counted by reason (see <see cref="PlannedModel.Skipped"/>).</param>
public sealed record RememberedPlan(string Format, IReadOnlyList<RememberedLayer> Layers, int SkippedLayers = 0, string Skipped = "");

/// <summary>
/// The layers of models planned before, by model root, content hash, analysis options and the build of
/// the numerical core (its module version id: any change to the readers or the layer rules plans anew),
/// kept in a JSON file beside the hash index. A re-run over unchanged models then plans without opening
/// them: their headers (an ONNX model's initializer table, say) are not parsed again. Only a cache: a
/// missing or corrupt file, or any entry that does not match, means planning from the headers.
/// </summary>
public sealed class PlanIndex
{
    /// <summary>2: skipped layers remembered too.</summary>
    private const int FormatVersion = 2;

    private static readonly string Build = typeof(Analyzer).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    private readonly IModelStore _store;
    private readonly string _path;
    private readonly Dictionary<string, RememberedPlan> _entries;
    private readonly Lock _gate = new();
    private bool _changed;

    private PlanIndex(IModelStore store, string path, Dictionary<string, RememberedPlan> entries)
    {
        _store = store;
        _path = path;
        _entries = entries;
    }

    /// <summary>The key of a model's plan.</summary>
    public static string KeyOf(AnalysisOptions options, string root, string contentHash) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{Build}\n{ZooEngine.Version}\n{JsonSerializer.Serialize(options, ZooMessageSerializer.Json)}\n{root}\n{contentHash}")));

    /// <summary>Loads the index at <paramref name="path"/> (empty when missing or unreadable as an index).</summary>
    /// <exception cref="StoreException">The file exists but cannot be read.</exception>
    public static async Task<PlanIndex> LoadAsync(IModelStore store, string path, CancellationToken cancellation = default)
    {
        var entries = new Dictionary<string, RememberedPlan>(StringComparer.Ordinal);
        if (await store.GetAsync(path, cancellation).ConfigureAwait(false) is not null)
        {
            await using var stream = await store.OpenReadAsync(path, cancellation).ConfigureAwait(false);
            try
            {
                var document = await JsonSerializer.DeserializeAsync<Document>(stream, ZooMessageSerializer.Json, cancellation).ConfigureAwait(false);
                if (document is { Format: FormatVersion, Build: var build, Entries: { } stored } && build == Build)
                {
                    foreach (var (key, plan) in stored.Where(e => e.Value is { Format: not null, Layers: not null }))
                    {
                        entries[key] = plan;
                    }
                }
            }
            catch (JsonException)
            {
                // Rebuilt from the headers below.
            }
        }
        return new PlanIndex(store, path, entries);
    }

    /// <summary>The remembered plan under <paramref name="key"/>, or null.</summary>
    public RememberedPlan? Find(string key)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault(key);
        }
    }

    /// <summary>Remembers <paramref name="plan"/> under <paramref name="key"/>.</summary>
    public void Remember(string key, RememberedPlan plan)
    {
        lock (_gate)
        {
            _entries[key] = plan;
            _changed = true;
        }
    }

    /// <summary>Writes the index back when something was added (entries of another build are gone by then).</summary>
    public Task SaveAsync(CancellationToken cancellation = default)
    {
        Document document;
        lock (_gate)
        {
            if (!_changed)
            {
                return Task.CompletedTask;
            }
            document = new Document(FormatVersion, Build, new SortedDictionary<string, RememberedPlan>(_entries, StringComparer.Ordinal));
        }
        return _store.WriteAsync(_path, JsonSerializer.SerializeToUtf8Bytes(document, ZooMessageSerializer.Json), cancellation);
    }

    private sealed record Document(int Format, string? Build, IDictionary<string, RememberedPlan>? Entries);
}
