using Prometheus;

namespace WeightWatcher.Cluster.Workers;

/// <summary>
/// The Prometheus metrics of one node, in a registry of its own (several nodes may share a process in
/// tests): layers analyzed, found cached, failed and in flight, analysis durations, the bytes in the
/// staging folder, and the blob requests retried. Exported by the node's HTTP endpoint at <c>/metrics</c>.
/// </summary>
public sealed class NodeMetrics
{
    /// <summary>Creates the metrics of a node whose staged model copies live under <paramref name="stagingDirectory"/>.</summary>
    public NodeMetrics(string? stagingDirectory = null)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        LayersAnalyzed = factory.CreateCounter("ww_layers_analyzed_total", "Layers analyzed on this node (results written)");
        LayersCached = factory.CreateCounter("ww_layers_cached_total", "Layer tasks answered from the result cache without analysis");
        LayersFailed = factory.CreateCounter("ww_layers_failed_total", "Layer tasks that failed on this node (bad input, storage, interrupted)");
        LayersInFlight = factory.CreateGauge("ww_layers_in_flight", "Layers being staged or analyzed on this node now");
        LayerDuration = factory.CreateHistogram("ww_layer_duration_seconds", "Time to stage, read and analyze one layer",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 2, 16) });
        var stagingBytes = factory.CreateGauge("ww_staging_bytes", "Bytes of model copies in the node's staging folder");
        if (stagingDirectory is not null)
        {
            Registry.AddBeforeCollectCallback(() => stagingBytes.Set(FolderBytes(stagingDirectory)));
        }
        var storeRetries = factory.CreateCounter("ww_store_retries_total", "Blob requests tried again after a transient failure (outage, dropped connection, throttling), by this process");
        Registry.AddBeforeCollectCallback(() => storeRetries.IncTo(WeightWatcher.Storage.StoreRetries.Total));
    }

    /// <summary>The registry holding this node's metrics.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Layers analyzed and stored.</summary>
    public Counter LayersAnalyzed { get; }

    /// <summary>Layer tasks answered from the cache.</summary>
    public Counter LayersCached { get; }

    /// <summary>Layer tasks that failed.</summary>
    public Counter LayersFailed { get; }

    /// <summary>Layers in progress.</summary>
    public Gauge LayersInFlight { get; }

    /// <summary>Durations of analyzed layers.</summary>
    public Histogram LayerDuration { get; }

    /// <summary>Writes the metrics in Prometheus' text format.</summary>
    public Task ExportAsync(Stream destination, CancellationToken cancellation = default) =>
        Registry.CollectAndExportAsTextAsync(destination, cancellation);

    private static double FolderBytes(string folder)
    {
        try
        {
            return Directory.Exists(folder)
                ? new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => (double)f.Length)
                : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Files come and go while staging runs: report what could be counted next time.
            return 0;
        }
    }
}
