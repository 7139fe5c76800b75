using System.Text.Json;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Cluster.Serialization;
using WeightWatcher.Cluster.Workers;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Reports.Zoo;

namespace WeightWatcher.Cluster.Coordination;

/// <summary>What the analysis phase produced: each layer's stored result by key, and counters.</summary>
public sealed record AnalysisOutcome(
    IReadOnlyDictionary<string, CachedLayer> Results,
    IReadOnlySet<string> Cached,
    IReadOnlyDictionary<string, string> Failed,
    int Resent,
    IReadOnlyList<string> Nodes);

/// <summary>
/// The reduce step: gathers every planned layer's rows (from replies, or from the cache for layers done
/// on an earlier run), reduces them per model and per series, and writes the reports and the manifest.
/// Reports are rebuilt from all results each run, so an incremental run still reports the whole zoo.
/// </summary>
public static class ZooReporting
{
    /// <summary>Writes the reports of <paramref name="plan"/> and returns the manifest written.</summary>
    public static async Task<JobManifest> WriteAsync(
        ZooNodeServices services, ZooJobSpec spec, ZooPlan plan, AnalysisOutcome outcome, DateTimeOffset startedAt, (double Planning, double Analysis) times, CancellationToken cancellation = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var location = spec.Location;
        var cache = services.Cache(location);
        var layout = new ResultLayout(spec.ResultsPrefix);
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
        var resultStore = services.ResultStore(location);
        foreach (var file in files)
        {
            await resultStore.WriteAsync(layout.Report(file.Name), file.Content, cancellation).ConfigureAwait(false);
        }
        var finished = DateTimeOffset.UtcNow;
        var manifest = new JobManifest(
            spec.JobId, ZooEngine.Version, services.Store(spec.Store).Description, spec.ModelsPrefix, resultStore.Description, layout.Prefix, plan.CatalogPath,
            spec.Options, spec.SubmittedAt, startedAt, finished,
            new ManifestCounts(plan.Models.Count, plan.Failures.Count(f => f.IsModelFailure), analyzedTotal + cachedTotal + failedTotal, analyzedTotal, cachedTotal, failedTotal, outcome.Resent, plan.HashesComputed),
            new ManifestTimings(times.Planning, times.Analysis, clock.Elapsed.TotalSeconds, (finished - startedAt).TotalSeconds),
            manifestModels, failures, plan.Ignored, files.Select(f => layout.Report(f.Name)).ToList(), outcome.Nodes);
        var json = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJson);
        await resultStore.WriteAsync(layout.Manifest, json, cancellation).ConfigureAwait(false);
        return manifest;
    }

    /// <summary>Indented JSON for the manifest (read by people as much as by tools).</summary>
    public static readonly JsonSerializerOptions ManifestJson = new(ZooMessageSerializer.Json) { WriteIndented = true };
}
