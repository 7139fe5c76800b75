using System.Diagnostics;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Reports.Esd;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Workers;

/// <summary>
/// The work of one <see cref="AnalyzeLayer"/> task, apart from the actor that receives it: cache lookup,
/// staging, range reads, ESD, fit and metrics (the Core analyzer), cache write, and the reply. Every
/// failure becomes a <see cref="LayerFailed"/> reply; nothing a model holds can take the node down.
/// </summary>
public static class LayerTask
{
    /// <summary>Runs <paramref name="task"/> on this node and returns the reply for the coordinator, with the task's blob retries.</summary>
    public static async Task<IZooMessage> RunAsync(ZooNodeServices services, AnalyzeLayer task, string node, CancellationToken cancellation = default)
    {
        // The retries of this task's requests (a staging download it starts for others too), sent with its reply.
        using var retries = StoreRetries.Begin();
        var reply = await RunOnceAsync(services, task, node, cancellation).ConfigureAwait(false);
        if (reply is LayerFailed)
        {
            services.Metrics.LayersFailed.Inc();
        }
        return reply switch
        {
            LayerAnalyzed analyzed => analyzed with { StoreRetries = retries.Count },
            LayerFailed failed => failed with { StoreRetries = retries.Count },
            _ => reply,
        };
    }

    private static async Task<IZooMessage> RunOnceAsync(ZooNodeServices services, AnalyzeLayer task, string node, CancellationToken cancellation)
    {
        string where = $"{task.ModelName}: layer {task.LayerId} '{task.LayerName}'";
        try
        {
            var cache = services.Cache(task.Location);
            if (await cache.TryGetAsync(task.LayerKey, cancellation).ConfigureAwait(false) is { } hit)
            {
                services.Metrics.LayersCached.Inc();
                return Reply(task, node, hit, 0);
            }
            await services.Gate.WaitAsync(cancellation).ConfigureAwait(false);
            services.Metrics.LayersInFlight.Inc();
            try
            {
                var clock = Stopwatch.StartNew();
                var store = services.Store(task.Location.Store);
                string local = await services.LocalModelAsync(store, task.Model.Root, task.Model.Files, task.Ranges ?? [], cancellation).ConfigureAwait(false);
                CachedLayer result;
                IReadOnlyList<StoredSpectrum>? spectra = null;
                try
                {
                    // The analysis is CPU-bound: off the actor threads, one per admitted slot.
                    (result, spectra) = await Task.Run(() => Analyze(services, local, task), cancellation).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ModelFormatException or LayerAnalysisException)
                {
                    // Bad input is a property of the bytes: cached, so the next run does not try again.
                    result = new CachedLayer([], $"{where}: {e.Message}", services.Backend);
                }
                // The result is stored under the planned content's key: if a file changed after planning, the
                // bytes read may be another version's, so nothing is stored and the layer fails, naming the file.
                if (await ChangedFileAsync(store, task.Model.Files, cancellation).ConfigureAwait(false) is { } changed)
                {
                    return new LayerFailed(task.LayerKey, task.JobId, node, $"{where}: {changed}", Permanent: true);
                }
                if (spectra is not null)
                {
                    await cache.PutSpectraAsync(task.LayerKey, spectra, cancellation).ConfigureAwait(false);
                }
                await cache.PutAsync(task.LayerKey, result, cancellation).ConfigureAwait(false);
                if (result.Failure is null)
                {
                    services.Metrics.LayersAnalyzed.Inc();
                    services.Metrics.LayerDuration.Observe(clock.Elapsed.TotalSeconds);
                }
                return Reply(task, node, result, clock.Elapsed.TotalSeconds);
            }
            finally
            {
                services.Metrics.LayersInFlight.Dec();
                services.Gate.Release();
            }
        }
        catch (StoreException e) when (e.Unavailable)
        {
            // The store itself, not this layer: retrying the task would wait the whole budget again.
            return new LayerFailed(task.LayerKey, task.JobId, node, $"{where}: storage: {e.Message}", Permanent: false, StoreUnavailable: true);
        }
        catch (Exception e) when (e is StoreException or IOException or UnauthorizedAccessException)
        {
            return new LayerFailed(task.LayerKey, task.JobId, node, $"{where}: storage: {e.Message}", Permanent: false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new LayerFailed(task.LayerKey, task.JobId, node, $"{where}: {e.GetType().Name}: {e.Message}", Permanent: false);
        }
    }

    /// <summary>
    /// The first of the model's files whose version is no longer the planned one (replaced or deleted since
    /// the job was planned), said for the user; null when all are as planned. One metadata request per
    /// file: a stat for a folder, a properties request (ETag) for a blob.
    /// </summary>
    private static async Task<string?> ChangedFileAsync(IModelStore store, IReadOnlyList<StoredObject> files, CancellationToken cancellation)
    {
        foreach (var planned in files)
        {
            var now = await store.GetAsync(planned.Path, cancellation).ConfigureAwait(false);
            if (now is null || now.Version != planned.Version)
            {
                return $"model file {planned.Path} {(now is null ? "was deleted" : "changed")} while the job ran (planned version {planned.Version}{(now is null ? "" : $", now {now.Version}")}): " +
                    "layers are analyzed from the planned version or not at all; run the job again to analyze the new one";
            }
        }
        return null;
    }

    private static IZooMessage Reply(AnalyzeLayer task, string node, CachedLayer result, double seconds) =>
        result.Failure is null
            ? new LayerAnalyzed(task.LayerKey, task.JobId, node, result, seconds)
            : new LayerFailed(task.LayerKey, task.JobId, node, result.Failure, Permanent: true);

    private static (CachedLayer Result, IReadOnlyList<StoredSpectrum> Spectra) Analyze(ZooNodeServices services, string localPath, AnalyzeLayer task)
    {
        using var lease = services.Readers.Acquire(localPath);
        var results = services.Analyzer.AnalyzeLayer(lease.Reader, task.LayerId, task.Options);
        var columns = LayerTable.AnalyzeColumns(task.Options);
        var rows = results
            .Select(r => (IReadOnlyDictionary<string, object?>)columns.ToDictionary(c => c, c => LayerTable.Value(r, c), StringComparer.Ordinal))
            .ToList();
        var spectra = results.Select(r => new StoredSpectrum(r.Layer.LayerId, r.Layer.SliceId, r.Spectrum.Evals, r.Random?.Evals ?? [])).ToList();
        return (new CachedLayer(rows, null, services.Backend), spectra);
    }
}
