using System.Text.Json;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Cluster.Serialization;
using WeightWatcher.Cluster.Workers;
using WeightWatcher.Cluster.Reporting;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Metrics;
using WeightWatcher.Reports.History;
using WeightWatcher.Reports.Zoo;

namespace WeightWatcher.Cluster.Coordination;

/// <summary>What the analysis phase produced: each layer's stored result by key, and counters.</summary>
/// <param name="Results">Results received this run, by layer key.</param>
/// <param name="Cached">Layers whose result was stored before the run.</param>
/// <param name="Failed">Layers that failed for good, with the reason.</param>
/// <param name="Resent">Tasks sent again.</param>
/// <param name="Nodes">Nodes that answered.</param>
/// <param name="StoreRetries">Blob requests retried so far (planning and tasks; see <see cref="JobRun.StoreRetries"/>).</param>
public sealed record AnalysisOutcome(
    IReadOnlyDictionary<string, CachedLayer> Results,
    IReadOnlySet<string> Cached,
    IReadOnlyDictionary<string, string> Failed,
    int Resent,
    IReadOnlyList<string> Nodes,
    int StoreRetries = 0);

/// <summary>
/// The reduce step: gathers every planned layer's rows (from replies, or from the cache for layers done
/// on an earlier run), reduces them per model and per series, and writes the reports and the manifest.
/// Reports are rebuilt from all results each run, so an incremental run still reports the whole zoo. Then
/// what the run adds for people: history, changes and alerts (<see cref="ZooHistory"/>), the HTML report
/// (<see cref="SitePublisher"/>), <c>metrics.prom</c>, the run's copy under <c>runs/&lt;job&gt;/</c> and
/// retention; the manifest is written last.
/// </summary>
public static class ZooReporting
{
    /// <summary>Writes the reports of <paramref name="plan"/> and returns the manifest written.</summary>
    public static async Task<JobManifest> WriteAsync(
        ZooNodeServices services, ZooJobSpec spec, ZooPlan plan, AnalysisOutcome outcome, DateTimeOffset startedAt, (double Planning, double Analysis) times, CancellationToken cancellation = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // The reports' own blob retries join the job's, up to the manifest's serialization.
        using var retries = WeightWatcher.Storage.StoreRetries.Begin();
        var location = spec.Location;
        var cache = services.Cache(location);
        var layout = new ResultLayout(spec.ResultsPrefix);
        SweepAbandonedWrites(services.ResultStore(location), layout, spec.JobId);
        var results = new Dictionary<string, CachedLayer>(outcome.Results, StringComparer.Ordinal);
        var missing = plan.Models.SelectMany(m => m.Layers).Select(l => l.Key).Where(k => !results.ContainsKey(k) && !outcome.Failed.ContainsKey(k)).Distinct().ToList();
        // Layers done on earlier runs come from the cache: a bounded number of reads at a time, since a
        // nightly run over a large zoo may need tens of thousands of them from blob storage.
        var loaded = new System.Collections.Concurrent.ConcurrentDictionary<string, CachedLayer>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellation }, async (key, token) =>
        {
            if (await cache.TryGetAsync(key, token).ConfigureAwait(false) is { } layer)
            {
                loaded[key] = layer;
            }
        }).ConfigureAwait(false);
        foreach (var (key, layer) in loaded)
        {
            results[key] = layer;
        }

        var failures = plan.Failures.Select(f => new ManifestFailure(f.Model, f.Layer, f.Reason)).ToList();
        var rowsByModel = new List<ZooLayerRows>();
        var manifestModels = new List<ManifestModel>();
        int analyzedTotal = 0, cachedTotal = 0, failedTotal = 0;
        foreach (var model in plan.Models)
        {
            var rows = new List<IReadOnlyDictionary<string, object?>>();
            int analyzed = 0, cached = 0, failed = 0;
            foreach (var layer in model.Layers)
            {
                string? reason = outcome.Failed.GetValueOrDefault(layer.Key);
                if (reason is null && results.TryGetValue(layer.Key, out var result))
                {
                    reason = result.Failure;
                    if (reason is null)
                    {
                        rows.AddRange(result.Rows);
                    }
                }
                reason ??= results.ContainsKey(layer.Key) ? null : "result missing from the store after the analysis phase";
                if (reason is not null)
                {
                    failed++;
                    failures.Add(new ManifestFailure(model.Name, $"{layer.LayerId} {layer.Name}", reason));
                }
                else if (outcome.Cached.Contains(layer.Key))
                {
                    cached++;
                }
                else
                {
                    analyzed++;
                }
            }
            analyzedTotal += analyzed;
            cachedTotal += cached;
            failedTotal += failed;
            rowsByModel.Add(new ZooLayerRows(model.Name, rows, failed) { SkippedLayers = model.SkippedLayers });
            manifestModels.Add(new ManifestModel(
                model.Name, model.Reference.Root, model.Format, model.ContentHash,
                model.Reference.Files.Select(f => new ManifestFile(f.Path, f.Length, f.Version, model.FileHashes[f.Path])).ToList(),
                model.Catalog?.Series, model.Catalog?.Accuracy, model.Layers.Count, analyzed, cached, failed, model.SkippedLayers, model.Skipped));
        }

        var files = ZooReport.Build(new ZooReportInput(rowsByModel, plan.Catalog, LayerTable.AnalyzeColumns(spec.Options)));
        var keys = plan.Models.SelectMany(m => m.Layers.Select(l => new LayerKey(m.Name, l.LayerId, l.Name, l.Key))).ToList();
        files = [.. files, new ReportFile("layers-index.json", JsonSerializer.SerializeToUtf8Bytes(keys, RunFiles.IndexJson))];
        var resultStore = services.ResultStore(location);
        await StoreFiles.WriteAllAsync(resultStore, layout.Prefix, files, cancellation).ConfigureAwait(false);
        var finished = DateTimeOffset.UtcNow;
        var manifest = new JobManifest(
            spec.JobId, ZooEngine.Version, services.Store(spec.Store).Description, spec.ModelsPrefix, resultStore.Description, layout.Prefix, plan.CatalogPath,
            spec.Options, spec.SubmittedAt, startedAt, finished,
            new ManifestCounts(plan.Models.Count, plan.Failures.Count(f => f.IsModelFailure), analyzedTotal + cachedTotal + failedTotal, analyzedTotal, cachedTotal, failedTotal, outcome.Resent, plan.HashesComputed, outcome.StoreRetries + retries.Count),
            new ManifestTimings(times.Planning, times.Analysis, clock.Elapsed.TotalSeconds, (finished - startedAt).TotalSeconds),
            manifestModels, failures, plan.Ignored, files.Select(f => layout.Report(f.Name)).ToList(), outcome.Nodes, Backends(plan, results));

        // What the run adds for people: history, changes and alerts, the HTML report, metrics.prom, the run's copy.
        var site = System.Diagnostics.Stopwatch.StartNew();
        var settings = spec.Reports ?? new ZooReportSettings();
        var aggregates = rowsByModel.ToDictionary(m => m.Model, m => ModelAggregate.From(m.Rows, m.FailedLayers), StringComparer.Ordinal);
        var snapshot = new RunSnapshot(spec.JobId, finished, plan.Models
            .Select(m => RunSnapshot.Model(m.Name, m.ContentHash, m.Catalog?.Series, rowsByModel.First(r => r.Model == m.Name).Rows, aggregates[m.Name]))
            .OrderBy(m => m.Model, StringComparer.Ordinal).ToList());
        var rules = settings.AlertRules is null ? AlertRule.Defaults : settings.AlertRules.Select(AlertRule.Parse).ToList();
        var (changes, history) = await ZooHistory.RecordAsync(resultStore, layout, snapshot, rules, cancellation).ConfigureAwait(false);
        var extra = new List<string> { layout.HistoryParquet, layout.HistoryCsv, layout.Changes, layout.Alerts, layout.Metrics };
        if (settings.Html)
        {
            try
            {
                var series = ZooReport.Series(aggregates.Select(a => (a.Key, a.Value)).ToList(), plan.Catalog);
                var input = SiteAssembly.Build(manifest, rowsByModel, series, keys, changes, history);
                extra.Add(await SitePublisher.PublishAsync(resultStore, layout, cache, input, cancellation).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The tables, history and alerts stand without the HTML report: the run is not lost for it.
                Serilog.Log.ForContext(typeof(ZooReporting)).Error(e, "Writing the HTML report of {JobId} failed", spec.JobId);
                manifest = manifest with { Failures = [.. manifest.Failures, new ManifestFailure("(report)", null, $"the HTML report could not be written: {e.GetType().Name}: {e.Message}")] };
            }
        }
        manifest = manifest with
        {
            Timings = manifest.Timings with { Site = site.Elapsed.TotalSeconds },
            Reports = [.. manifest.Reports, .. extra],
        };
        var totals = new JobTotals(spec.JobId, finished, manifest.Counts.Models, manifest.Counts.ModelsFailed, analyzedTotal, cachedTotal, failedTotal,
            [("planning", times.Planning), ("analysis", times.Analysis), ("reports", manifest.Timings.Reports), ("site", manifest.Timings.Site), ("total", (DateTimeOffset.UtcNow - startedAt).TotalSeconds)]);
        await resultStore.WriteAsync(layout.Metrics, PrometheusText.Render(snapshot, changes, totals), cancellation).ConfigureAwait(false);
        manifest = manifest with { Counts = manifest.Counts with { StoreRetries = outcome.StoreRetries + retries.Count } };
        var json = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJson);
        // The run's own copy of its tables and records, kept under runs/<job>/ (its site is already there).
        string run = layout.Run(spec.JobId);
        var copies = files.Select(f => new ReportFile(f.Name, f.Content)).ToList();
        copies.Add(new ReportFile("manifest.json", json));
        copies.Add(new ReportFile("changes.json", changes.ToJson()));
        copies.Add(new ReportFile("alerts.json", changes.AlertsJson()));
        await StoreFiles.WriteAllAsync(resultStore, run, copies, cancellation).ConfigureAwait(false);
        await ZooHistory.PruneAsync(resultStore, layout, settings.KeepRuns, spec.JobId, cancellation).ConfigureAwait(false);
        await resultStore.WriteAsync(layout.Manifest, json, cancellation).ConfigureAwait(false);
        return manifest;
    }

    /// <summary>
    /// A coordinator killed while writing the reports (or a worker killed while storing a result) leaves a
    /// temporary file behind in a folder store. The reports have one writer, this coordinator, so any under
    /// the results prefix outside the cache is abandoned; in the cache, workers may still be storing late
    /// duplicates, so only those a minute old go. (Blob uploads are atomic and leave nothing.)
    /// </summary>
    private static void SweepAbandonedWrites(Storage.IModelStore store, ResultLayout layout, string jobId)
    {
        if (store is not Storage.LocalFolderStore folder)
        {
            return;
        }
        var now = DateTime.UtcNow;
        int deleted = folder.DeleteAbandonedWrites(layout.Prefix, path => path.StartsWith(layout.CachePrefix, StringComparison.Ordinal) ? now.AddMinutes(-1) : now);
        if (deleted > 0)
        {
            Serilog.Log.ForContext(typeof(ZooReporting)).Information("Job {JobId}: deleted {Count} temporary files left by writers killed mid-write", jobId, deleted);
        }
    }

    /// <summary>The backends of the planned layers' results, most layers first.</summary>
    private static List<ManifestBackend> Backends(ZooPlan plan, Dictionary<string, CachedLayer> results) =>
        plan.Models.SelectMany(m => m.Layers).Select(l => l.Key).Distinct(StringComparer.Ordinal)
            .Select(k => results.GetValueOrDefault(k))
            .Where(r => r is not null)
            .GroupBy(r => r!.Backend ?? "unrecorded", StringComparer.Ordinal)
            .Select(g => new ManifestBackend(g.Key, g.Count()))
            .OrderByDescending(b => b.Layers)
            .ToList();

    /// <summary>Indented JSON for the manifest (read by people as much as by tools).</summary>
    public static readonly JsonSerializerOptions ManifestJson = new(ZooMessageSerializer.Json) { WriteIndented = true };
}
