using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Core.Regression;

namespace WeightWatcher.Cluster.Coordination;

/// <summary>One layer to analyze: its cache key, the reference's id, its name, and where its tensor bytes lie (when known as plain ranges).</summary>
public sealed record PlannedLayer(string Key, int LayerId, string Name, IReadOnlyList<ByteRange>? Ranges = null);

/// <summary>A model of the zoo with its layers (from its headers only) and its catalog row.</summary>
/// <param name="Name">Model name (the catalog's <c>model</c>, else the file or folder name).</param>
/// <param name="Reference">Where its bytes are.</param>
/// <param name="ContentHash">SHA-256 over its files' hashes: changes whenever any of its bytes change.</param>
/// <param name="FileHashes">Hash of each file, by store path.</param>
/// <param name="Format">Format detected from content.</param>
/// <param name="Catalog">Its catalog row, if any.</param>
/// <param name="Layers">Layers to analyze, in id order.</param>
/// <param name="SkippedLayers">Layers with weights that are not analyzed (other ranks, classes, filters ...).</param>
/// <param name="Skipped">Those layers counted by reason, e.g. <c>19 1-D weights (biases, norm scales)</c>; empty when none.</param>
public sealed record PlannedModel(
    string Name,
    ModelReference Reference,
    string ContentHash,
    IReadOnlyDictionary<string, string> FileHashes,
    string Format,
    CatalogEntry? Catalog,
    IReadOnlyList<PlannedLayer> Layers,
    int SkippedLayers = 0,
    string Skipped = "");

/// <summary>Something of the zoo that could not be analyzed, and why (model-level when <paramref name="Layer"/> is null).</summary>
public sealed record ZooFailure(string Model, string? Layer, string Reason)
{
    /// <summary>The <see cref="Model"/> of a failure of the catalog itself (not of any model).</summary>
    public const string CatalogEntry = "(catalog)";

    /// <summary>A failure of the catalog itself: the models are still analyzed, without series.</summary>
    public static ZooFailure OfCatalog(string reason) => new(CatalogEntry, null, reason);

    /// <summary>True for a failure of one model as a whole (not of a layer, not of the catalog).</summary>
    public bool IsModelFailure => Layer is null && Model != CatalogEntry;
}

/// <summary>The outcome of planning a job: models with their layers, and what could not be planned.</summary>
/// <param name="Models">Models to analyze, in name order.</param>
/// <param name="Failures">Models (or catalog rows, or the catalog itself) that failed, with reasons.</param>
/// <param name="Ignored">Store paths skipped as documentation (README, LICENSE, *.md ...).</param>
/// <param name="Catalog">The catalog, when found and valid.</param>
/// <param name="CatalogPath">Where the catalog came from.</param>
/// <param name="HashesComputed">Files whose content hash had to be computed (not in the hash index).</param>
public sealed record ZooPlan(
    IReadOnlyList<PlannedModel> Models,
    IReadOnlyList<ZooFailure> Failures,
    IReadOnlyList<string> Ignored,
    ZooCatalog? Catalog,
    string? CatalogPath,
    int HashesComputed);
