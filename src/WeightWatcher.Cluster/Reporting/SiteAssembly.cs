using System.Globalization;
using System.Text.Json;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Cluster.Serialization;
using WeightWatcher.Core.Metrics;
using WeightWatcher.Reports.History;
using WeightWatcher.Reports.Html;
using WeightWatcher.Reports.Zoo;

namespace WeightWatcher.Cluster.Reporting;

/// <summary>One layer's figure key: the cache key that holds its result and spectra.</summary>
/// <param name="Model">The model.</param>
/// <param name="LayerId">The layer id.</param>
/// <param name="Name">The layer name.</param>
/// <param name="Key">The cache key.</param>
public sealed record LayerKey(string Model, int LayerId, string Name, string Key);

/// <summary>
/// The report site's input from a run's data, the same way whether the data is in memory (a zoo run) or
/// read back from the result store (<c>ww report</c>): manifest, layer rows per model, series regressions,
/// layer keys, changes and history.
/// </summary>
public static class SiteAssembly
{
    /// <summary>Builds the site input.</summary>
    public static SiteInput Build(
        JobManifest manifest,
        IReadOnlyList<ZooLayerRows> models,
        IReadOnlyList<SeriesRow> series,
        IReadOnlyList<LayerKey> keys,
        ChangeReport? changes,
        IReadOnlyList<HistoryRow> history)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var byModel = manifest.Models.ToDictionary(m => m.Model, StringComparer.Ordinal);
        var keysByModel = keys.GroupBy(k => k.Model, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<int, string>)g.GroupBy(k => k.LayerId).ToDictionary(k => k.Key, k => k.First().Key), StringComparer.Ordinal);
        var historyByModel = history.GroupBy(h => h.Model, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var siteModels = models.OrderBy(m => m.Model, StringComparer.Ordinal).Select(m =>
        {
            var entry = byModel.GetValueOrDefault(m.Model);
            return new SiteModel(m.Model, entry?.Series, entry?.Accuracy, entry?.ContentHash ?? "", m.Rows, ModelAggregate.From(m.Rows, m.FailedLayers),
                keysByModel.GetValueOrDefault(m.Model) ?? new Dictionary<int, string>())
            {
                Skipped = (m.SkippedLayers, entry?.Skipped ?? ""),
                History = historyByModel.GetValueOrDefault(m.Model) is { } rows
                    ? rows.GroupBy(r => r.JobId, StringComparer.Ordinal)
                        .Select(g => (g.Key, g.First().FinishedAt, (IReadOnlyDictionary<string, double>)g.Where(r => r.Value is not null).ToDictionary(r => r.Metric, r => r.Value!.Value, StringComparer.Ordinal)))
                        .OrderBy(h => h.FinishedAt, StringComparer.Ordinal)
                        .ToList()
                    : [],
            };
        }).ToList();
        return new SiteInput(
            $"Zoo run {manifest.JobId}",
            manifest.JobId,
            siteModels,
            series,
            manifest.Failures.Select(f => new SiteFailure(f.Model, f.Layer, f.Reason)).ToList(),
            ManifestSections(manifest))
        {
            Changes = changes,
        };
    }

    /// <summary>The manifest as readable sections of label and value.</summary>
    public static IReadOnlyList<(string Section, IReadOnlyList<(string Label, string Value)> Rows)> ManifestSections(JobManifest m)
    {
        ArgumentNullException.ThrowIfNull(m);
        string T(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        string S(double seconds) => seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
        var c = m.Counts;
        return
        [
            ("Job", [("job id", m.JobId), ("engine", m.EngineVersion), ("models store", m.Store), ("models prefix", m.ModelsPrefix), ("result store", m.ResultStore),
                ("results prefix", m.ResultsPrefix), ("catalog", m.Catalog ?? "none"), ("submitted", T(m.SubmittedAt)), ("started", T(m.StartedAt)), ("finished", T(m.FinishedAt))]),
            ("Counts", [("models", $"{c.Models}"), ("models failed", $"{c.ModelsFailed}"), ("layers", $"{c.Layers}"), ("analyzed", $"{c.LayersAnalyzed}"),
                ("from the cache", $"{c.LayersCached}"), ("failed", $"{c.LayersFailed}"), ("tasks re-sent", $"{c.Resent}"), ("hashes computed", $"{c.HashesComputed}"),
                ("blob requests retried", $"{c.StoreRetries}")]),
            ("Timings", [("planning", S(m.Timings.Planning)), ("analysis", S(m.Timings.Analysis)), ("tables", S(m.Timings.Reports)), ("total before the report", S(m.Timings.Total))]),
            ("Options", [("analysis options", JsonSerializer.Serialize(m.Options, ZooMessageSerializer.Json))]),
            ("Nodes", m.Nodes.Select(n => ("node", n)).ToList()),
            ("Models", m.Models.Select(x => (x.Model, $"{x.Format}, {x.Root}, sha256 {x.ContentHash}; {x.Layers} layers ({x.LayersAnalyzed} analyzed, {x.LayersCached} cached, {x.LayersFailed} failed, {x.LayersSkipped} skipped{(x.Skipped.Length == 0 ? "" : ": " + x.Skipped)})")).ToList()),
            ("Files", m.Models.SelectMany(x => x.Files).Select(f => (f.Path, $"{f.Length} bytes, sha256 {f.Sha256}")).ToList()),
            ("Ignored", m.Ignored.Select(i => ("ignored", i)).ToList()),
        ];
    }
}
