using WeightWatcher.Cluster.Results;
using WeightWatcher.Plots;
using WeightWatcher.Reports.Html;
using WeightWatcher.Reports.Zoo;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Reporting;

/// <summary>
/// Writes a run's report site through the result store, so it works on folders and blob containers
/// alike. Layer ESD figures live under <c>report/figures/&lt;cache key&gt;/</c> and are drawn only for
/// keys that have none yet (from the spectra stored beside the cached results), so an incremental run
/// draws only changed layers. The run's pages and model/series figures go under
/// <c>runs/&lt;job&gt;/report/</c>; <c>report/index.html</c>, which links into them, is written last, so
/// readers see the previous complete report until the new one is complete (every write is atomic).
/// </summary>
public static class SitePublisher
{
    private static readonly Serilog.ILogger Log = Serilog.Log.ForContext(typeof(SitePublisher));

    // Layers whose spectra and figures are in memory at once.
    private const int Batch = 64;

    /// <summary>Publishes <paramref name="input"/> (for its run, <c>input.JobId</c>); returns the entry page's store path.</summary>
    public static async Task<string> PublishAsync(IModelStore store, ResultLayout layout, LayerResultCache cache, SiteInput input, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(input);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var present = new List<string>();
        await foreach (var entry in store.ListAsync(layout.LayerFigures, cancellation).ConfigureAwait(false))
        {
            present.Add(entry.Path[layout.LayerFigures.Length..]);
        }
        var views = new Dictionary<string, IReadOnlyList<string>>(LayerFigures.ViewsFromListing(present), StringComparer.Ordinal);
        var layers = input.Models
            .SelectMany(m => m.Rows.Select(r => (Id: (int)Core.Metrics.ModelSummary.RowNumber(r, "layer_id"), Row: r)).DistinctBy(l => l.Id)
                .Where(l => m.FigureKeys.ContainsKey(l.Id)).Select(l => (Key: m.FigureKeys[l.Id], l.Row)))
            .DistinctBy(l => l.Key)
            .ToList();
        var wanted = layers.Where(l => !views.ContainsKey(l.Key)).ToList();
        // In batches, so memory holds a batch's spectra and figures, not the zoo's.
        int drawnCount = 0;
        foreach (var batch in wanted.Chunk(Batch))
        {
            var spectra = new System.Collections.Concurrent.ConcurrentDictionary<string, Reports.Esd.StoredSpectrum>(StringComparer.Ordinal);
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellation }, async (layer, token) =>
            {
                if (await cache.TryGetSpectraAsync(layer.Key, token).ConfigureAwait(false) is { Count: > 0 } stored)
                {
                    spectra[layer.Key] = stored[0];
                }
            }).ConfigureAwait(false);
            // Drawing is CPU-bound: one layer per core, on threads of its own (see FigureWorkers).
            var drawn = FigureWorkers.Run(batch.Where(l => spectra.ContainsKey(l.Key)).Select(layer => (Func<(string Key, IReadOnlyList<ReportFile> Files, IReadOnlyList<string> Views)>)(() =>
            {
                var s = spectra[layer.Key];
                try
                {
                    var (files, names) = LayerFigures.Render(layer.Key, EsdFigureInput.FromRow(layer.Row, s.Evals, s.RandomEvals), svg: false);
                    return (layer.Key, files, names);
                }
                catch (Exception e) when (e is ArithmeticException or ArgumentException or InvalidOperationException)
                {
                    // One layer's figures are not worth a report: it is shown without them.
                    Log.Warning("No figures for layer {Key} ({Layer}): {Reason}", layer.Key, layer.Row.GetValueOrDefault("name"), e.Message);
                    return (layer.Key, (IReadOnlyList<ReportFile>)[], (IReadOnlyList<string>)[]);
                }
            })).ToList(), cancellation);
            await StoreFiles.WriteAllAsync(store, layout.LayerFigures, drawn.SelectMany(d => d.Files), cancellation).ConfigureAwait(false);
            foreach (var d in drawn.Where(d => d.Views.Count > 0))
            {
                views[d.Key] = d.Views;
                drawnCount++;
            }
        }
        double layerSeconds = clock.Elapsed.TotalSeconds;

        string site = layout.RunSite(input.JobId);
        // From runs/<job>/report/ up to the results prefix, then down to the shared layer figures.
        var full = input with { LayerFiguresPath = "../../../report/figures", LayerFigureViews = views };
        var pages = ReportSite.Build(full);
        await StoreFiles.WriteAllAsync(store, site, pages, cancellation).ConfigureAwait(false);
        await store.WriteAsync(layout.SiteEntry, ReportSite.EntryPage(full, $"../runs/{input.JobId}/report/"), cancellation).ConfigureAwait(false);
        Log.Information("Report of {JobId}: {Drawn} layers drawn ({Reused} reused, {Missing} without stored spectra) in {LayerSeconds:0.0} s, {Pages} pages and figures, {Seconds:0.0} s in all",
            input.JobId, drawnCount, layers.Count - wanted.Count, wanted.Count - drawnCount, layerSeconds, pages.Count, clock.Elapsed.TotalSeconds);
        return layout.SiteEntry;
    }
}
