namespace WeightWatcher.Core.Fitting;

/// <summary>
/// The reference's candidate scan written out plainly: for every candidate, the sum of logs and the
/// full KS scan, O(n^2) with no pruning. It is the baseline that <see cref="PowerLawFit"/> must equal
/// exactly and that <c>ww bench</c> measures it against.
/// </summary>
public static class StraightforwardPowerLawFit
{
    /// <summary>Fits <paramref name="evals"/> (ascending), dropping values at or below 1e-5 first.</summary>
    public static PowerLawFitResult Fit(ReadOnlySpan<double> evals)
    {
        var xs = new List<double>();
        foreach (var v in evals)
        {
            if (v > PowerLawFit.EvalsThreshold)
            {
                xs.Add(v);
            }
        }
        var x = xs.ToArray();
        int n = x.Length;
        int best = -1;
        double bestD = double.NaN, bestAlpha = double.NaN;
        for (int i = 0; i < n - 1; i++)
        {
            int k = n - i;
            double logSum = 0;
            for (int j = i; j < n; j++)
            {
                logSum += Math.Log(x[j]);
            }
            double alpha = 1 + (k / (logSum - (k * Math.Log(x[i]))));
            double d = 1;
            if (alpha > 1)
            {
                d = 0;
                for (int t = 0; t < k; t++)
                {
                    d = Math.Max(d, Math.Abs(1 - Math.Pow(x[i + t] / x[i], 1 - alpha) - ((double)t / k)));
                }
            }
            if (best < 0 || d < bestD)
            {
                best = i;
                bestD = d;
                bestAlpha = alpha;
            }
        }
        if (best < 0 || double.IsNaN(bestAlpha))
        {
            return PowerLawFitResult.Failed;
        }
        int tail = n - best;
        return new PowerLawFitResult(bestAlpha, x[best], x[n - 1], bestD, (bestAlpha - 1) / Math.Sqrt(tail), tail, true);
    }
}
