using WeightWatcher.Core.Metrics;

namespace WeightWatcher.Plots;

/// <summary>One layer's point of a correlation flow.</summary>
/// <param name="LayerId">The layer id.</param>
/// <param name="Alpha">Fitted alpha (-1 when the fit failed; such points are left out).</param>
/// <param name="AlphaWeighted">alpha · log10 λmax.</param>
/// <param name="LogNorm">log10 of the Frobenius norm squared.</param>
/// <param name="LogSpectralNorm">log10 λmax.</param>
public sealed record FlowPoint(int LayerId, double Alpha, double AlphaWeighted, double LogNorm, double LogSpectralNorm);

/// <summary>A model's layers in depth order, for correlation-flow figures.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Layers">Its analyzed layers in layer order.</param>
public sealed record ModelFlow(string Model, IReadOnlyList<FlowPoint> Layers)
{
    /// <summary>The four metrics a flow shows, as (column, axis label).</summary>
    public static readonly IReadOnlyList<(string Column, string Label)> Metrics =
        [("alpha", "α"), ("alpha_weighted", "α weighted"), ("log_norm", "log norm"), ("log_spectral_norm", "log spectral norm")];

    /// <summary>From layer-table rows (column-to-value maps as the zoo reports hold them).</summary>
    public static ModelFlow FromRows(string model, IEnumerable<IReadOnlyDictionary<string, object?>> rows) =>
        new(model, rows.Select(r => new FlowPoint(
            (int)ModelSummary.RowNumber(r, "layer_id"),
            ModelSummary.RowNumber(r, "alpha"),
            ModelSummary.RowNumber(r, "alpha_weighted"),
            ModelSummary.RowNumber(r, "log_norm"),
            ModelSummary.RowNumber(r, "log_spectral_norm"))).ToList());

    /// <summary>From a Core analysis.</summary>
    public static ModelFlow From(string model, IEnumerable<LayerResult> rows) =>
        new(model, rows.Select(r => new FlowPoint(r.Layer.LayerId, r.Alpha, r.AlphaWeighted, r.Norms.LogNorm, r.Norms.LogSpectralNorm)).ToList());

    /// <summary>The value of metric <paramref name="column"/> (one of <see cref="Metrics"/>) at a point; NaN for a failed alpha.</summary>
    public static double Value(FlowPoint p, string column) => column switch
    {
        "alpha" => p.Alpha > 0 ? p.Alpha : double.NaN,
        "alpha_weighted" => p.Alpha > 0 ? p.AlphaWeighted : double.NaN,
        "log_norm" => p.LogNorm,
        "log_spectral_norm" => p.LogSpectralNorm,
        _ => throw new ArgumentException($"not a flow metric: {column}", nameof(column)),
    };
}
