using WeightWatcher.Core.Analysis;

namespace WeightWatcher.Cluster.Results;

/// <summary>
/// The record of one zoo job, written beside its reports: what went in (every file with its hash),
/// with which options and engine, what came out, how long each phase took, and every failure with its
/// reason, and the spectral backends (kernel families) that computed the results. Nothing is dropped silently: a model or layer that is not in the reports is in
/// <see cref="Failures"/>.
/// </summary>
public sealed record JobManifest(
    string JobId,
    string EngineVersion,
    string Store,
    string ModelsPrefix,
    string ResultStore,
    string ResultsPrefix,
    string? Catalog,
    AnalysisOptions Options,
    DateTimeOffset SubmittedAt,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    ManifestCounts Counts,
    ManifestTimings Timings,
    IReadOnlyList<ManifestModel> Models,
    IReadOnlyList<ManifestFailure> Failures,
    IReadOnlyList<string> Ignored,
    IReadOnlyList<string> Reports,
    IReadOnlyList<string> Nodes,
    IReadOnlyList<ManifestBackend>? Backends = null);

/// <summary>
/// What computed the spectra of the job's layer results (those analyzed now and those cached by earlier
/// runs): provider, OpenBLAS version, kernel family and who chose it, with the number of layers.
/// </summary>
/// <param name="Backend">The backend in one line ("unrecorded" for results cached before backends were recorded).</param>
/// <param name="Layers">Layer results it computed.</param>
public sealed record ManifestBackend(string Backend, int Layers);

/// <summary>Job totals.</summary>
/// <param name="Models">Models planned.</param>
/// <param name="ModelsFailed">Models that failed as a whole.</param>
/// <param name="Layers">Layers planned.</param>
/// <param name="LayersAnalyzed">Layers analyzed by this run.</param>
/// <param name="LayersCached">Layers whose result was stored by an earlier run.</param>
/// <param name="LayersFailed">Layers that failed.</param>
/// <param name="Resent">Layer tasks sent again (timeout, transient failure, departed member).</param>
/// <param name="HashesComputed">Files hashed (the others' hashes were known by path and version).</param>
/// <param name="StoreRetries">
/// Blob requests of the job tried again after a transient failure (outage, dropped connection, throttling), by
/// every process: the coordinator's planning and reports, and each layer task's, sent with its reply. Not
/// counted: the requests of a task whose reply was lost with its member, and of a job's earlier coordinator.
/// </param>
public sealed record ManifestCounts(int Models, int ModelsFailed, int Layers, int LayersAnalyzed, int LayersCached, int LayersFailed, int Resent, int HashesComputed, int StoreRetries = 0);

/// <summary>
/// Wall time of each phase, in seconds: <c>Reports</c> the tables, <c>Site</c> what the run adds for people
/// (history, changes and alerts, figures and the HTML report).
/// </summary>
public sealed record ManifestTimings(double Planning, double Analysis, double Reports, double Total, double Site = 0);

/// <summary>
/// One input model: its files and hashes, and what happened to its layers (<c>LayersSkipped</c>: layers
/// with weights that are not analyzed, counted by reason in <c>Skipped</c>).
/// </summary>
public sealed record ManifestModel(
    string Model,
    string Root,
    string Format,
    string ContentHash,
    IReadOnlyList<ManifestFile> Files,
    string? Series,
    double? Accuracy,
    int Layers,
    int LayersAnalyzed,
    int LayersCached,
    int LayersFailed,
    int LayersSkipped = 0,
    string Skipped = "");

/// <summary>One input file.</summary>
public sealed record ManifestFile(string Path, long Length, string Version, string Sha256);

/// <summary>A failure: a model (layer null) or one layer, and why.</summary>
public sealed record ManifestFailure(string Model, string? Layer, string Reason);
