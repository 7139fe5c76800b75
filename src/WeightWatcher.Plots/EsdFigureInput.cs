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

    /// <summary>Builds the input from a Core layer result (eigenvalues, fit, MP fit and random ESD when computed).</summary>
    public static EsdFigureInput From(WeightWatcher.Core.Metrics.LayerResult row) =>
        new(row.Layer.LayerId, row.Layer.Name, row.Spectrum.Evals, row.Tail.Fit)
        {
            Mp = row.Mp,
            Q = row.Layer.Q,
            RandomEvals = row.Random?.Evals ?? [],
        };
}
