using WeightWatcher.Core.Analysis;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Protocol;

/// <summary>
/// Where a model lives in the store: its root (a file, or a folder prefix ending in '/') and its files
/// with their versions, so a worker can stage exactly the bytes the coordinator hashed. References only,
/// never tensor bytes.
/// </summary>
/// <param name="Root">Store path of the model: a file, or a folder prefix ending in '/'.</param>
/// <param name="Files">The model's files (store paths, lengths, versions).</param>
public sealed record ModelReference(string Root, IReadOnlyList<StoredObject> Files);

/// <summary>A byte range of a stored file: where a layer's tensor lies (a reference, never the bytes).</summary>
public sealed record ByteRange(string Path, long Offset, long Length);

/// <summary>Which stores a task reads from and writes to (specs without credentials: each node has its own).</summary>
/// <param name="Store">Store spec of the models.</param>
/// <param name="ResultStore">Store spec of the results (null: the model store).</param>
/// <param name="ResultsPrefix">Prefix of the results in the result store.</param>
public sealed record JobLocation(string Store, string? ResultStore, string ResultsPrefix)
{
    // Akka logs messages it cannot deliver with their ToString: a SAS signature must not be in it.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Store = {StoreFactory.Redact(Store)}, ResultStore = {(ResultStore is null ? "" : StoreFactory.Redact(ResultStore))}, ResultsPrefix = {ResultsPrefix}");
        return true;
    }
}

/// <summary>Analyze one layer of one model and write its rows to the result cache.</summary>
/// <param name="LayerKey">Cache key; the entity id in the <c>layer</c> region.</param>
/// <param name="JobId">The job this task belongs to (replies of an older job are ignored).</param>
/// <param name="Location">Stores of the job.</param>
/// <param name="Model">Where the model's bytes are.</param>
/// <param name="ModelName">The model's name in the zoo (for messages).</param>
/// <param name="LayerId">The reference's layer id.</param>
/// <param name="LayerName">The layer's name (for messages).</param>
/// <param name="Options">Analysis options of the job.</param>
/// <param name="Ranges">Where the layer's tensor bytes lie in the model's files (null when the format keeps them elsewhere, e.g. compressed).</param>
public sealed record AnalyzeLayer(
    string LayerKey,
    string JobId,
    JobLocation Location,
    ModelReference Model,
    string ModelName,
    int LayerId,
    string LayerName,
    AnalysisOptions Options,
    IReadOnlyList<ByteRange>? Ranges = null) : IZooMessage, IWithLayerKey;

/// <summary>The layer was analyzed (or found in the cache); its rows are in the result cache under the key.</summary>
/// <param name="LayerKey">Cache key of the task.</param>
/// <param name="JobId">Job of the task.</param>
/// <param name="Node">Address of the node that did the work.</param>
/// <param name="Rows">The layer's result (its table rows), as written to the cache.</param>
/// <param name="Seconds">Wall time of the analysis on the worker (0 for a cache hit).</param>
/// <param name="StoreRetries">Blob requests of the task tried again after a transient failure (the coordinator adds them up for the manifest).</param>
public sealed record LayerAnalyzed(string LayerKey, string JobId, string Node, CachedLayer Rows, double Seconds, int StoreRetries = 0) : IZooMessage;

/// <summary>The layer could not be analyzed; <paramref name="Reason"/> names the file, tensor and cause.</summary>
/// <param name="LayerKey">Cache key of the task.</param>
/// <param name="JobId">Job of the task.</param>
/// <param name="Node">Address of the node that tried.</param>
/// <param name="Reason">Why, in one line.</param>
/// <param name="Permanent">True when the same bytes and options would fail again (bad input); false for transient causes (I/O), which are retried.</param>
/// <param name="StoreRetries">Blob requests of the task tried again after a transient failure.</param>
/// <param name="StoreUnavailable">
/// The store did not serve a request of the task within its retry budget (<c>--store-timeout</c>): not the
/// layer's fault, and every other task would wait as long and fail alike, so the job fails at once.
/// </param>
public sealed record LayerFailed(string LayerKey, string JobId, string Node, string Reason, bool Permanent, int StoreRetries = 0, bool StoreUnavailable = false) : IZooMessage;

/// <summary>
/// A layer's result as stored in the cache: its table rows (column to value: double, long, string, bool
/// or null) or, for a permanent failure, the reason.
/// </summary>
/// <param name="Rows">Rows in the reference's column contract (one pooled row, or one per slice).</param>
/// <param name="Failure">Reason of a permanent failure; null when analyzed.</param>
/// <param name="Backend">What computed the spectra (<see cref="WeightWatcher.Core.Spectral.BackendInfo"/> as one line: provider, OpenBLAS version, kernel family and who chose it); null in results cached before it was recorded.</param>
public sealed record CachedLayer(IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows, string? Failure, string? Backend = null) : IZooMessage;
