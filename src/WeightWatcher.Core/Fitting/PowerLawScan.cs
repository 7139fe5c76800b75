namespace WeightWatcher.Core.Fitting;

/// <summary>One candidate of the power-law scan: its xmin, the maximum-likelihood alpha and the KS distance.</summary>
/// <param name="Xmin">The candidate lower bound (an eigenvalue).</param>
/// <param name="Alpha">1 + k / (sum of log(x / xmin) over the k tail values).</param>
/// <param name="D">The reference's one-sided KS distance (1 when alpha is at most 1).</param>
public readonly record struct ScanPoint(double Xmin, double Alpha, double D);

/// <summary>
/// The candidate scan of the reference's power-law fitter as curves (its <c>fit.xmins</c>,
/// <c>fit.alphas</c> and <c>fit.Ds</c>, which its D-versus-xmin and alpha-versus-xmin figures draw), and
/// the one place the per-candidate formulas live (<see cref="StraightforwardPowerLawFit"/> uses them).
/// </summary>
public static class PowerLawScan
{
    /// <summary>
    /// alpha and D at candidates of <paramref name="evals"/> (ascending; values at or below
    /// <see cref="PowerLawFit.EvalsThreshold"/> dropped as the fit drops them). Every candidate when there
    /// are at most <paramref name="maxPoints"/>, else that many evenly spaced by index (a figure needs no
    /// more, and each D costs a pass over the tail) plus <paramref name="include"/>'s candidate when given,
    /// so the fitted xmin is always on the curve. Empty for fewer than two values.
    /// </summary>
    public static IReadOnlyList<ScanPoint> Curves(ReadOnlySpan<double> evals, int maxPoints = 400, double? include = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoints, 2);
        var x = Fitted(evals);
        int n = x.Length;
        if (n < 2)
        {
            return [];
        }
        var suffix = new double[n + 1];
        for (int i = n - 1; i >= 0; i--)
        {
            suffix[i] = suffix[i + 1] + Math.Log(x[i]);
        }
        var indices = new SortedSet<int>();
        int candidates = n - 1;
        for (int p = 0; p < Math.Min(maxPoints, candidates); p++)
        {
            indices.Add(candidates <= maxPoints ? p : (int)Math.Round((double)p * (candidates - 1) / (maxPoints - 1)));
        }
        if (include is { } xmin && Array.IndexOf(x, xmin) is int at and >= 0 && at < candidates)
        {
            indices.Add(at);
        }
        return indices.Select(i =>
        {
            double alpha = Alpha(x, i, suffix[i]);
            return new ScanPoint(x[i], alpha, Distance(x, i, alpha));
        }).ToList();
    }

    /// <summary>The values the fit sees: those above <see cref="PowerLawFit.EvalsThreshold"/>.</summary>
    public static double[] Fitted(ReadOnlySpan<double> evals)
    {
        int start = 0;
        while (start < evals.Length && !(evals[start] > PowerLawFit.EvalsThreshold))
        {
            start++;
        }
        return evals[start..].ToArray();
    }

    /// <summary>The maximum-likelihood alpha of candidate <paramref name="i"/>, given the sum of log(x) over x[i..].</summary>
    public static double Alpha(double[] x, int i, double logSum)
    {
        int k = x.Length - i;
        return 1 + (k / (logSum - (k * Math.Log(x[i]))));
    }

    /// <summary>The one-sided KS distance of candidate <paramref name="i"/> with <paramref name="alpha"/> (1 when alpha ≤ 1).</summary>
    public static double Distance(double[] x, int i, double alpha)
    {
        if (!(alpha > 1))
        {
            return 1;
        }
        int k = x.Length - i;
        double d = 0;
        for (int t = 0; t < k; t++)
        {
            d = Math.Max(d, Math.Abs(1 - Math.Pow(x[i + t] / x[i], 1 - alpha) - ((double)t / k)));
        }
        return d;
    }
}
