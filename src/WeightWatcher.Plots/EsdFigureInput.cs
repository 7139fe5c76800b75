using WeightWatcher.Core.Fitting;

namespace WeightWatcher.Plots;

/// <summary>What the ESD figures of one layer draw.</summary>
/// <param name="LayerId">The layer id.</param>
/// <param name="LayerName">The layer name (titles).</param>
/// <param name="Evals">The ESD, ascending (as the fit saw it).</param>
/// <param name="Fit">The power-law fit.</param>
public sealed record EsdFigureInput(int LayerId, string LayerName, double[] Evals, PowerLawFitResult Fit)
{
    /// <summary>The MP fit, for the <c>--mp-fit</c> overlay.</summary>
    public MpFitResult? Mp { get; init; }

    /// <summary>The layer's aspect ratio N/M (for the MP density).</summary>
    public double Q { get; init; } = 1;

    /// <summary>The randomized ESD, for the <c>--randomize</c> overlay (empty: none).</summary>
    public double[] RandomEvals { get; init; } = [];

    /// <summary>
    /// Builds the input from a layer-table row (column-to-value maps as the zoo reports hold them: the fit
    /// columns, N and M, and the MP columns when present) and the layer's stored eigenvalues.
    /// </summary>
    public static EsdFigureInput FromRow(IReadOnlyDictionary<string, object?> row, double[] evals, double[] randomEvals)
    {
        ArgumentNullException.ThrowIfNull(row);
        double N(string c) => WeightWatcher.Core.Metrics.ModelSummary.RowNumber(row, c);
        bool ok = row.GetValueOrDefault("status") as string == "success";
        var fit = ok
            ? new PowerLawFitResult(N("alpha"), N("xmin"), double.IsNaN(N("xmax")) ? null : N("xmax"), N("D"), N("sigma"), (int)N("num_pl_spikes"), true)
            : PowerLawFitResult.Failed;
        var mp = row.ContainsKey("sigma_mp") && N("sigma_mp") > 0
            ? new MpFitResult(N("sigma_mp"), (int)N("num_spikes"), N("mp_softrank"), N("bulk_max"), N("bulk_min"), N("W_scale"))
            : null;
        return new EsdFigureInput((int)N("layer_id"), row.GetValueOrDefault("name")?.ToString() ?? "", evals, fit)
        {
            Mp = mp,
            Q = N("M") > 0 ? N("N") / N("M") : 1,
            RandomEvals = randomEvals,
        };
    }

    /// <summary>Builds the input from a Core layer result (eigenvalues, fit, MP fit and random ESD when computed).</summary>
    public static EsdFigureInput From(WeightWatcher.Core.Metrics.LayerResult row) =>
        new(row.Layer.LayerId, row.Layer.Name, row.Spectrum.Evals, row.Tail.Fit)
        {
            Mp = row.Mp,
            Q = row.Layer.Q,
            RandomEvals = row.Random?.Evals ?? [],
        };
}
