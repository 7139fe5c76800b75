using System.Text.Json;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Core.Regression;
using WeightWatcher.Reports.History;
using WeightWatcher.Reports.Zoo;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Reporting;

/// <summary>
/// A finished run's files read back from the result store (<c>manifest.json</c>, <c>layers.json</c>,
/// <c>series.json</c>, <c>layers-index.json</c>, <c>changes.json</c>, <c>history.parquet</c>), so
/// <c>ww report</c> rebuilds the report site exactly as the run wrote it.
/// </summary>
public static class RunFiles
{
    /// <summary>JSON of the layers index (snake_case).</summary>
    public static readonly JsonSerializerOptions IndexJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = false };

    /// <summary>Rebuilds and publishes the report of the run whose manifest is at <paramref name="layout"/>; returns the entry page's path.</summary>
    /// <exception cref="IOException">No manifest, or its tables are missing.</exception>
    public static async Task<string> RebuildReportAsync(IModelStore store, ResultLayout layout, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        var manifestBytes = await Require(store, layout.Manifest, cancellation).ConfigureAwait(false);
        var manifest = JsonSerializer.Deserialize<JobManifest>(manifestBytes, Coordination.ZooReporting.ManifestJson) ?? throw new IOException($"{layout.Manifest} is empty");
        var layerRows = ParseRows(await Require(store, layout.Report("layers.json"), cancellation).ConfigureAwait(false));
        var byModel = layerRows.GroupBy(r => r["model"]?.ToString() ?? "", StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var models = manifest.Models.Select(m => new ZooLayerRows(m.Model, byModel.GetValueOrDefault(m.Model) ?? [], m.LayersFailed) { SkippedLayers = m.LayersSkipped }).ToList();
        var series = ParseRows(await Require(store, layout.Report("series.json"), cancellation).ConfigureAwait(false))
            .Select(r => new SeriesRow(r["series"]?.ToString() ?? "", r["metric"]?.ToString() ?? "",
                new RegressionResult((int)Num(r, "n"), Num(r, "slope"), Num(r, "intercept"), Num(r, "rmse"), Num(r, "r2"), Num(r, "kendall_tau"))))
            .ToList();
        var keys = await StoreFiles.ReadAllAsync(store, layout.LayersIndex, cancellation).ConfigureAwait(false) is { } index
            ? JsonSerializer.Deserialize<List<LayerKey>>(index, IndexJson) ?? []
            : [];
        var changes = await StoreFiles.ReadAllAsync(store, layout.Changes, cancellation).ConfigureAwait(false) is { } c ? ChangeReport.FromJson(c) : null;
        var history = await RunHistory.ReadAsync(await StoreFiles.ReadAllAsync(store, layout.HistoryParquet, cancellation).ConfigureAwait(false), cancellation).ConfigureAwait(false);
        if (changes is not null && changes.JobId != manifest.JobId)
        {
            changes = null; // from another run: leave the section out rather than mislabel it
        }
        var input = SiteAssembly.Build(manifest, models, series, keys, changes, history);
        return await SitePublisher.PublishAsync(store, layout, new LayerResultCache(store, layout), input, cancellation).ConfigureAwait(false);
    }

    /// <summary>Rows of a report's JSON twin (an array of objects) as column-to-value maps: numbers as double, null as null.</summary>
    public static List<IReadOnlyDictionary<string, object?>> ParseRows(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(o => (IReadOnlyDictionary<string, object?>)o.EnumerateObject().ToDictionary(p => p.Name, p => Value(p.Value), StringComparer.Ordinal)).ToList();
    }

    private static object? Value(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static double Num(IReadOnlyDictionary<string, object?> row, string column) => row.GetValueOrDefault(column) is double d ? d : double.NaN;

    private static async Task<byte[]> Require(IModelStore store, string path, CancellationToken cancellation) =>
        await StoreFiles.ReadAllAsync(store, path, cancellation).ConfigureAwait(false)
            ?? throw new IOException($"{store.Description}: {path} is missing (not the results of a finished zoo run?)");
}
