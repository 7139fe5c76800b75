using System.Collections.Concurrent;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Workers;

/// <summary>
/// What every node of the zoo job shares between its actors: the stores (opened once per spec, with
/// the node's own credentials), the staging area for models in stores without a local folder, open
/// model readers, the analyzer, and a gate that runs at most one layer per core.
/// </summary>
public sealed class ZooNodeServices : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<IModelStore>> _stores = new(StringComparer.Ordinal);
    private readonly Func<string, bool, IModelStore> _openStore;

    /// <summary>Creates the services of one node.</summary>
    /// <param name="analyzer">The analysis engine (its spectral backend chosen by the host).</param>
    /// <param name="stagingDirectory">Node-local folder for staged copies of remote models.</param>
    /// <param name="stagingBytes">Size bound of the staging folder.</param>
    /// <param name="parallelism">Layers analyzed at once on this node (0: one per core).</param>
    /// <param name="openStore">Opens a store from its spec (defaults to <see cref="StoreFactory.Create"/>).</param>
    /// <param name="metrics">The node's metrics (default: a registry of its own over <paramref name="stagingDirectory"/>).</param>
    public ZooNodeServices(Analyzer analyzer, string stagingDirectory, long stagingBytes, int parallelism = 0, Func<string, bool, IModelStore>? openStore = null, NodeMetrics? metrics = null)
    {
        Metrics = metrics ?? new NodeMetrics(stagingDirectory);
        Analyzer = analyzer;
        Backend = BackendInfo.Of(analyzer.Backend).ToString();
        Staging = new ModelStaging(stagingDirectory, stagingBytes);
        SparseStaging = new SparseModelStaging(stagingDirectory);
        Parallelism = parallelism > 0 ? parallelism : Environment.ProcessorCount;
        Gate = new SemaphoreSlim(Parallelism, Parallelism);
        _openStore = openStore ?? ((spec, create) => StoreFactory.Create(spec, create));
    }

    /// <summary>The node's Prometheus metrics.</summary>
    public NodeMetrics Metrics { get; }

    /// <summary>The analysis engine.</summary>
    public Analyzer Analyzer { get; }

    /// <summary>What computes the spectra on this node, in one line (recorded with each layer result and in the manifest).</summary>
    public string Backend { get; }

    /// <summary>Node-local copies of remote models.</summary>
    public ModelStaging Staging { get; }

    /// <summary>Partial copies of blob safetensors models: headers and the tensors asked for, by range read.</summary>
    public SparseModelStaging SparseStaging { get; }

    /// <summary>
    /// The local path to open the model at <paramref name="root"/> from: the store's own file for a local
    /// folder; for blob storage a sparse copy with headers and <paramref name="ranges"/> (safetensors), or
    /// a whole copy (other formats).
    /// </summary>
    public Task<string> LocalModelAsync(IModelStore store, string root, IReadOnlyList<StoredObject> files, IReadOnlyList<ByteRange> ranges, CancellationToken cancellation) =>
        store.LocalRoot is null && SparseModelStaging.Applies(files)
            ? SparseStaging.StageAsync(store, root, files, ranges, cancellation)
            : Staging.StageAsync(store, root, files, cancellation);

    /// <summary>Open model readers, shared by the layer tasks.</summary>
    public ModelReaderCache Readers { get; } = new();

    /// <summary>How many layers run at once on this node.</summary>
    public int Parallelism { get; }

    /// <summary>Admits at most <see cref="Parallelism"/> layer analyses at a time.</summary>
    public SemaphoreSlim Gate { get; }

    /// <summary>The store for <paramref name="spec"/>, opened once per node.</summary>
    public IModelStore Store(string spec, bool createIfMissing = false) =>
        _stores.GetOrAdd(spec, s => new Lazy<IModelStore>(() => _openStore(s, createIfMissing), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    /// <summary>The result store of a job.</summary>
    public IModelStore ResultStore(JobLocation location) => Store(location.ResultStore ?? location.Store, createIfMissing: true);

    /// <summary>The layer cache of a job.</summary>
    public LayerResultCache Cache(JobLocation location) => new(ResultStore(location), new ResultLayout(location.ResultsPrefix));

    /// <summary>How long <see cref="Dispose"/> waits for the layer analyses in flight (within the 30 s a stop signal allows).</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Waits for the layer analyses in flight, then closes the readers, staging and stores. An analysis reads
    /// its model through a memory map and cannot be interrupted mid-layer: unmapping the model under it
    /// killed the process with SIGSEGV when a stop signal came mid-layer. Analyses that outlast
    /// <see cref="DrainTimeout"/> keep their readers (the process is leaving; its exit releases them).
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        var deadline = DateTime.UtcNow + DrainTimeout;
        int held = 0;
        while (held < Parallelism && Gate.Wait(Max(deadline - DateTime.UtcNow)))
        {
            held++; // each slot taken is an analysis finished, and none starts after
        }
        if (held < Parallelism)
        {
            Serilog.Log.ForContext<ZooNodeServices>().Warning("{Count} layer analyses still running after {Seconds} s: leaving their models open", Parallelism - held, DrainTimeout.TotalSeconds);
            return;
        }
        Readers.Dispose();
        SparseStaging.Dispose();
        foreach (var store in _stores.Values.Where(s => s.IsValueCreated))
        {
            store.Value.Dispose();
        }
        Gate.Dispose();
    }

    private int _disposed;

    private static TimeSpan Max(TimeSpan left) => left > TimeSpan.Zero ? left : TimeSpan.Zero;
}
