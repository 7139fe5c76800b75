namespace WeightWatcher.Cluster.Results;

/// <summary>
/// Where a job's outputs live under the results prefix: the per-layer cache (what makes re-runs
/// incremental and results idempotent), the reports, the manifest and the job's own state.
/// </summary>
public sealed class ResultLayout
{
    /// <summary>Creates the layout under <paramref name="prefix"/> ("" or a prefix; a trailing '/' is added).</summary>
    public ResultLayout(string prefix)
    {
        Prefix = prefix.Length == 0 || prefix.EndsWith('/') ? prefix : prefix + "/";
    }

    /// <summary>The results prefix, ending in '/' unless empty.</summary>
    public string Prefix { get; }

    /// <summary>Prefix of every cached layer result.</summary>
    public string CachePrefix => Prefix + "cache/";

    /// <summary>The cached result of one layer (two-character fan-out keeps folders small).</summary>
    public string CacheEntry(string key) => $"{CachePrefix}{key[..2]}/{key}.json";

    /// <summary>The key of a cache entry path, or null when the path is not one.</summary>
    public string? KeyOf(string path) =>
        path.StartsWith(CachePrefix, StringComparison.Ordinal) && path.EndsWith(".json", StringComparison.Ordinal)
            ? Path.GetFileNameWithoutExtension(path)
            : null;

    /// <summary>A report file (layers.csv, models.csv, ...).</summary>
    public string Report(string name) => Prefix + name;

    /// <summary>The job manifest.</summary>
    public string Manifest => Prefix + "manifest.json";

    /// <summary>The content-hash index (hashes by path and version, so unchanged files are not re-read).</summary>
    public string HashIndex => Prefix + "state/hashes.json";

    /// <summary>The plan index (layers of unchanged models, so a re-run does not open them again).</summary>
    public string PlanIndex => Prefix + "state/plans.json";
}
