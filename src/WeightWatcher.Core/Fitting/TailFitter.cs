using WeightWatcher.Core.Analysis;

namespace WeightWatcher.Core.Fitting;

/// <summary>The complete tail fit of one ESD, as the analyzer reports it.</summary>
/// <param name="Fit">The chosen power-law fit.</param>
/// <param name="NumPlSpikes">Eigenvalues at or above xmin (counted before any finger clipping); -1 on failure.</param>
/// <param name="NumFingers">Fingers removed by <c>clip_xmax</c>, else null.</param>
/// <param name="RawAlpha">Alpha before finger clipping (<c>clip_xmax</c> only), else null.</param>
public sealed record TailFit(PowerLawFitResult Fit, int NumPlSpikes, int? NumFingers, double? RawAlpha);

/// <summary>
/// Applies the fit options of the reference (integer <c>xmax</c>, <c>fix_fingers</c>) around
/// <see cref="PowerLawFit"/>, and counts <c>num_pl_spikes</c>.
/// </summary>
public static class TailFitter
{
    /// <summary>Fits the tail of <paramref name="evals"/> (ascending, all eigenvalues of the row).</summary>
    public static TailFit Fit(double[] evals, AnalysisOptions options)
    {
        var data = ApplyIntegerXmax(evals, options.XMax);
        TailFit result = options.FixFingers switch
        {
            FingerFix.ClipXmax => FingerClipping.Fit(data, options.MaxFingers, options.FingerThresh),
            FingerFix.XminPeak => new TailFit(XminPeak.Fit(data, options.XminMax), 0, null, null),
            _ => new TailFit(PowerLawFit.Fit(data), 0, null, null),
        };
        int spikes = result.Fit.Succeeded ? CountAtOrAbove(data, result.Fit.Xmin) : -1;
        return result with { NumPlSpikes = spikes };
    }

    /// <summary>
    /// Integer xmax = +-k: with k &lt;= n/2 the top k eigenvalues are removed. With k &gt; n/2 the reference
    /// truncates at the eigenvalue nearest to the number k itself (quirk Q28, matched), which is usually
    /// the largest one, so usually nothing is removed.
    /// </summary>
    public static double[] ApplyIntegerXmax(double[] evals, int? xmax)
    {
        if (xmax is not { } x || x == 0 || evals.Length == 0)
        {
            return evals;
        }
        int k = Math.Abs(x);
        if (k <= evals.Length / 2.0)
        {
            return evals[..^k];
        }
        int nearest = 0;
        for (int i = 1; i < evals.Length; i++)
        {
            if (Math.Abs(evals[i] - k) < Math.Abs(evals[nearest] - k))
            {
                nearest = i;
            }
        }
        double cut = evals[nearest];
        return evals.Where(v => v <= cut).ToArray();
    }

    private static int CountAtOrAbove(double[] evals, double xmin) => evals.Count(v => v >= xmin);
}
