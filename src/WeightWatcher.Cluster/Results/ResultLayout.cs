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

    /// <summary>
    /// The spectra of one layer (eigenvalues, random eigenvalues), beside its cached result and under the
    /// same key, so reports draw ESD figures without re-reading models (<c>StoredSpectra</c> format).
    /// </summary>
    public string EsdEntry(string key) => $"{Prefix}esd/{key[..2]}/{key}.esd";

    /// <summary>A report file (layers.csv, models.csv, ...).</summary>
    public string Report(string name) => Prefix + name;

    /// <summary>Prefix of the kept runs: <c>runs/&lt;job id&gt;/</c> each.</summary>
    public string RunsPrefix => Prefix + "runs/";

    /// <summary>One run's copy of its reports.</summary>
    public string Run(string jobId) => $"{RunsPrefix}{jobId}/";

    /// <summary>One run's HTML site (every page and the run's model and series figures).</summary>
    public string RunSite(string jobId) => Run(jobId) + "report/";

    /// <summary>The report's entry page, written last: links into the latest run's site.</summary>
    public string SiteEntry => Prefix + "report/index.html";

    /// <summary>Layer ESD figures, by layer cache key (<c>&lt;key&gt;/&lt;view&gt;.png</c>), shared by runs: an unchanged layer is drawn once.</summary>
    public string LayerFigures => Prefix + "report/figures/";

    /// <summary>Which cache key holds each layer's result and spectra (model, layer id, name, key), for <c>ww report</c>.</summary>
    public string LayersIndex => Prefix + "layers-index.json";

    /// <summary>The history across runs.</summary>
    public string HistoryParquet => Prefix + "history.parquet";

    /// <summary>The history across runs, as CSV.</summary>
    public string HistoryCsv => Prefix + "history.csv";

    /// <summary>The alerts of the latest run.</summary>
    public string Alerts => Prefix + "alerts.json";

    /// <summary>The changes since the previous run (with the alerts).</summary>
    public string Changes => Prefix + "changes.json";

    /// <summary>Prometheus text for node-exporter's textfile collector.</summary>
    public string Metrics => Prefix + "metrics.prom";

    /// <summary>What the latest run saw, for the next run to compare with.</summary>
    public string LastRun => Prefix + "state/last-run.json";

    /// <summary>The job manifest.</summary>
    public string Manifest => Prefix + "manifest.json";

    /// <summary>The content-hash index (hashes by path and version, so unchanged files are not re-read).</summary>
    public string HashIndex => Prefix + "state/hashes.json";

    /// <summary>The plan index (layers of unchanged models, so a re-run does not open them again).</summary>
    public string PlanIndex => Prefix + "state/plans.json";
}
