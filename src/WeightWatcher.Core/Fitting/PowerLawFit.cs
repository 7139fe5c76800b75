namespace WeightWatcher.Core.Fitting;

/// <summary>
/// The reference's default power-law fitter (<c>WWFit</c>, <c>pl_package='ww'</c>): every data point but
/// the largest is a candidate xmin (duplicates included); each candidate gets the closed-form maximum
/// likelihood alpha and a one-sided KS distance against the lower empirical CDF; the first candidate
/// with the smallest distance wins.
/// </summary>
public static class PowerLawFit
{
    /// <summary>Eigenvalues at or below this are dropped before fitting (the reference's EVALS_THRESH).</summary>
    public const double EvalsThreshold = 1e-5;

    /// <summary>
    /// Fits the ESD <paramref name="evals"/> (ascending). Values at or below <see cref="EvalsThreshold"/>
    /// are dropped first. When <paramref name="xminRange"/> is given, only candidates inside it are tried.
    /// </summary>
    public static PowerLawFitResult Fit(ReadOnlySpan<double> evals, (double Low, double High)? xminRange = null)
    {
        int start = 0;
        while (start < evals.Length && !(evals[start] > EvalsThreshold))
        {
            start++;
        }
        var x = evals[start..];
        int n = x.Length;
        if (n < 2)
        {
            return PowerLawFitResult.Failed;
        }
        var logs = new double[n];
        for (int i = 0; i < n; i++)
        {
            logs[i] = Math.Log(x[i]);
        }
        var suffix = SuffixSums(logs);

        int best = -1;
        double bestD = double.PositiveInfinity, bestAlpha = double.NaN;
        for (int i = 0; i < n - 1; i++)
        {
            if (xminRange is { } r && (x[i] < r.Low || x[i] > r.High))
            {
                continue;
            }
            int k = n - i;
            double alpha = 1 + (k / (suffix[i] - (k * logs[i])));
            double d = KsDistance(x, i, alpha, bestD);
            if (double.IsNaN(d))
            {
                // numpy's argmin returns the first NaN: the fit then fails on its NaN alpha.
                best = i;
                bestAlpha = double.NaN;
                break;
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
        double sigma = (bestAlpha - 1) / Math.Sqrt(tail);
        return new PowerLawFitResult(bestAlpha, x[best], x[n - 1], bestD, sigma, tail, true);
    }

    /// <summary>
    /// D for candidate <paramref name="i"/>: max over the tail of |1 - (x/xmin)^(1-alpha) - t/k|, or 1 when
    /// alpha &lt;= 1. The scan stops as soon as the running maximum reaches <paramref name="bound"/>, since
    /// such a candidate can no longer be the first minimum; the value returned is then a lower bound.
    /// </summary>
    internal static double KsDistance(ReadOnlySpan<double> x, int i, double alpha, double bound)
    {
        if (!(alpha > 1))
        {
            return double.IsNaN(alpha) ? double.NaN : 1.0;
        }
        int k = x.Length - i;
        double xmin = x[i];
        double exponent = 1 - alpha;
        double max = 0;
        for (int t = 0; t < k; t++)
        {
            double cdf = 1 - Math.Pow(x[i + t] / xmin, exponent);
            double dist = Math.Abs(cdf - ((double)t / k));
            if (dist > max)
            {
                max = dist;
                if (max >= bound)
                {
                    return max;
                }
            }
        }
        return max;
    }

    /// <summary>Suffix sums with Kahan-Babuska compensation, so each sum is as exact as numpy's pairwise one.</summary>
    private static double[] SuffixSums(double[] v)
    {
        var s = new double[v.Length];
        double sum = 0, c = 0;
        for (int i = v.Length - 1; i >= 0; i--)
        {
            double t = sum + v[i];
            c += Math.Abs(sum) >= Math.Abs(v[i]) ? (sum - t) + v[i] : (v[i] - t) + sum;
            sum = t;
            s[i] = sum + c;
        }
        return s;
    }
}
