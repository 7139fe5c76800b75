using WeightWatcher.Core.Analysis;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Protocol;

/// <summary>
/// What a zoo job analyzes and where it writes: replicated to every node (DData), so the coordinator
/// singleton can resume the job on whichever node it moves to.
/// </summary>
/// <param name="JobId">Unique id of this run.</param>
/// <param name="Store">Store spec of the models (a folder, <c>az://container</c> or a container URI). Credentials are not part of it: each node reads them from its environment.</param>
/// <param name="ModelsPrefix">Prefix of the model folders/files in the store ("" = the whole store).</param>
/// <param name="ResultStore">Store spec of the results (null: the model store).</param>
/// <param name="ResultsPrefix">Prefix of the results in the result store.</param>
/// <param name="Catalog">Catalog CSV: a store path, or null to look for <c>zoo.csv</c>/<c>catalog.csv</c> beside the models.</param>
/// <param name="Options">Analysis options.</param>
/// <param name="SubmittedAt">When the job was submitted.</param>
/// <param name="Dispatch">How the coordinator dispatches this job's tasks (null: the hosting node's defaults). Part of the job, so a coordinator that takes over keeps them.</param>
/// <param name="Reports">The HTML report, run retention and alert rules (null: the defaults).</param>
public sealed record ZooJobSpec(
    string JobId,
    string Store,
    string ModelsPrefix,
    string? ResultStore,
    string ResultsPrefix,
    string? Catalog,
    AnalysisOptions Options,
    DateTimeOffset SubmittedAt,
    ZooCoordinatorSettings? Dispatch = null,
    ZooReportSettings? Reports = null) : IZooMessage
{
    /// <summary>
    /// What the job does, without when or as which run: SHA-256 over its stores (SAS signatures redacted, so
    /// a fresh token names the same work), prefixes, catalog and analysis options. A submission whose work
    /// equals the running job's follows that job instead of being refused, and <c>ww zoo run --attach</c>
    /// finds a job by it.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string WorkKey
    {
        get
        {
            string text = string.Join('\n',
                StoreFactory.Redact(Store), ModelsPrefix, ResultStore is null ? "" : StoreFactory.Redact(ResultStore), ResultsPrefix, Catalog ?? "",
                System.Text.Json.JsonSerializer.Serialize(Options, Serialization.ZooMessageSerializer.Json));
            return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        }
    }

    /// <summary>The job's stores and results prefix, as its tasks carry them.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public JobLocation Location => new(Store, ResultStore, ResultsPrefix);

    // Akka logs messages it cannot deliver with their ToString: a SAS signature must not be in it.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"JobId = {JobId}, Store = {StoreFactory.Redact(Store)}, ModelsPrefix = {ModelsPrefix}, ResultStore = {(ResultStore is null ? "" : StoreFactory.Redact(ResultStore))}, ResultsPrefix = {ResultsPrefix}, Catalog = {Catalog}, SubmittedAt = {SubmittedAt:O}");
        return true;
    }
}

/// <summary>What a job writes besides its tables: the HTML report, history retention and alert rules.</summary>
/// <param name="KeepRuns">Runs kept under <c>runs/</c> (older ones are deleted, oldest first).</param>
/// <param name="AlertRules">Alert rules as written (<c>alpha_weighted: +10%</c>); null: the default rules.</param>
/// <param name="Html">Whether to write the HTML report and its figures.</param>
public sealed record ZooReportSettings(int KeepRuns = 30, IReadOnlyList<string>? AlertRules = null, bool Html = true);

/// <summary>The replicated job register: the current job and whether it has finished.</summary>
/// <param name="Spec">The job.</param>
/// <param name="Finished">True once its reports and manifest are written.</param>
public sealed record ZooJobRecord(ZooJobSpec Spec, bool Finished) : IZooMessage;

/// <summary>Start <paramref name="Spec"/> (ignored with a reply of the current status when another job is running).</summary>
public sealed record SubmitJob(ZooJobSpec Spec) : IZooMessage;

/// <summary>Ask the coordinator for the current <see cref="JobStatus"/>.</summary>
public sealed record GetJobStatus : IZooMessage
{
    /// <summary>The single instance.</summary>
    public static readonly GetJobStatus Instance = new();
}

/// <summary>Phase of a zoo job.</summary>
public enum JobPhase
{
    /// <summary>No job known to the coordinator.</summary>
    Idle,
    /// <summary>Listing models, hashing and reading headers.</summary>
    Planning,
    /// <summary>Layers are being analyzed.</summary>
    Analyzing,
    /// <summary>Reducing and writing reports.</summary>
    Reporting,
    /// <summary>Done: reports and manifest written.</summary>
    Finished,
    /// <summary>The job could not run (e.g. the store is unreachable).</summary>
    Failed,
}

/// <summary>Progress of the current job.</summary>
/// <param name="JobId">The job (null when idle).</param>
/// <param name="Phase">What it is doing.</param>
/// <param name="ModelsTotal">Models found.</param>
/// <param name="ModelsDone">Models with every layer done.</param>
/// <param name="LayersTotal">Layers planned.</param>
/// <param name="LayersDone">Layers done (analyzed, cached or failed).</param>
/// <param name="LayersCached">Layers whose result was already in the store.</param>
/// <param name="LayersFailed">Layers that failed.</param>
/// <param name="Resent">Tasks sent again after a timeout or a departed member.</param>
/// <param name="ElapsedSeconds">Time since the job (re)started on this coordinator.</param>
/// <param name="ResultsLocation">Where the reports are (store description and prefix).</param>
/// <param name="Message">Failure reason or a short note.</param>
/// <param name="WorkKey">The job's <see cref="ZooJobSpec.WorkKey"/> (null when idle): a client that submitted the same work follows this job.</param>
public sealed record JobStatus(
    string? JobId,
    JobPhase Phase,
    int ModelsTotal,
    int ModelsDone,
    int LayersTotal,
    int LayersDone,
    int LayersCached,
    int LayersFailed,
    int Resent,
    double ElapsedSeconds,
    string? ResultsLocation,
    string? Message,
    string? WorkKey = null) : IZooMessage
{
    /// <summary>The status of a coordinator with no job.</summary>
    public static readonly JobStatus Idle = new(null, JobPhase.Idle, 0, 0, 0, 0, 0, 0, 0, 0, null, null);
}
