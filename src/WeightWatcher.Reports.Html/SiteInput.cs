using WeightWatcher.Core.Metrics;
using WeightWatcher.Reports.History;
using WeightWatcher.Reports.Zoo;

namespace WeightWatcher.Reports.Html;

/// <summary>A failure as the report lists it: a model (layer null) or one of its layers, and why.</summary>
/// <param name="Model">The model.</param>
/// <param name="Layer">The layer, or null for the whole model.</param>
/// <param name="Reason">Why.</param>
public sealed record SiteFailure(string Model, string? Layer, string Reason);

/// <summary>One model of the report.</summary>
/// <param name="Model">Its name.</param>
/// <param name="Series">Catalog series, if any.</param>
/// <param name="Accuracy">Catalog accuracy, if any.</param>
/// <param name="ContentHash">Its content hash (empty when unknown).</param>
/// <param name="Rows">Analyzed layer rows (the layer table's columns).</param>
/// <param name="Aggregate">Its summary, median alpha and alpha-band shares.</param>
/// <param name="FigureKeys">Per layer id, the folder name of its ESD figures (its cache key in a zoo run).</param>
public sealed record SiteModel(
    string Model,
    string? Series,
    double? Accuracy,
    string ContentHash,
    IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows,
    ModelAggregate Aggregate,
    IReadOnlyDictionary<int, string> FigureKeys)
{
    /// <summary>Layers with weights that were not analyzed, and the counts by reason.</summary>
    public (int Count, string Reasons) Skipped { get; init; } = (0, "");

    /// <summary>This model's earlier values from the history, newest last (job id, finish time, metrics).</summary>
    public IReadOnlyList<(string JobId, string FinishedAt, IReadOnlyDictionary<string, double> Metrics)> History { get; init; } = [];
}

/// <summary>What the report is built from.</summary>
/// <param name="Title">The site's title (e.g. "Zoo run 20261207-...").</param>
/// <param name="JobId">The run's job id (or the model file for a single-model report).</param>
/// <param name="Models">The models, in table order.</param>
/// <param name="Series">The per-series regressions (<c>series.csv</c> rows).</param>
/// <param name="Failures">Every failure, with reasons.</param>
/// <param name="Manifest">The run's manifest as (section, rows of label and value), or empty.</param>
public sealed record SiteInput(
    string Title,
    string JobId,
    IReadOnlyList<SiteModel> Models,
    IReadOnlyList<SeriesRow> Series,
    IReadOnlyList<SiteFailure> Failures,
    IReadOnlyList<(string Section, IReadOnlyList<(string Label, string Value)> Rows)> Manifest)
{
    /// <summary>What changed since the previous run, or null (no history, or a single model).</summary>
    public ChangeReport? Changes { get; init; }

    /// <summary>Layer-table columns shown on model pages, in order.</summary>
    public IReadOnlyList<string> LayerColumns { get; init; } =
        ["layer_id", "name", "N", "M", "num_evals", "alpha", "alpha_weighted", "D", "xmin", "xmax", "sigma", "log_norm", "log_spectral_norm", "stable_rank", "warning"];

    /// <summary>
    /// Where the layer ESD figures live, relative to the site root: <c>{path}/{key}/{view}.png</c>. The
    /// zoo keeps them outside per-run sites (keyed by cache key, so an unchanged layer is drawn once).
    /// </summary>
    public string LayerFiguresPath { get; init; } = "figures/layers";

    /// <summary>Whether layer figures have SVG twins (<c>ww analyze --report</c>; the zoo draws layer PNGs only, to keep reports fast).</summary>
    public bool LayerFigureSvg { get; init; }

    /// <summary>Per figure key, the views that exist (<c>esd</c> ... <c>esd5</c>, <c>mpfit</c>, <c>randesd</c>, <c>randesd2</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> LayerFigureViews { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}
