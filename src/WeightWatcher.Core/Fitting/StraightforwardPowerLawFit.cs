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
        var x = PowerLawScan.Fitted(evals);
        int n = x.Length;
        int best = -1;
        double bestD = double.NaN, bestAlpha = double.NaN;
        for (int i = 0; i < n - 1; i++)
        {
            double logSum = 0;
            for (int j = i; j < n; j++)
            {
                logSum += Math.Log(x[j]);
            }
            double alpha = PowerLawScan.Alpha(x, i, logSum);
            double d = PowerLawScan.Distance(x, i, alpha);
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
