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

        var (best, bestD, bestAlpha) = Scan(x.ToArray(), logs, suffix, xminRange);
        if (best < 0 || double.IsNaN(bestAlpha))
        {
            return PowerLawFitResult.Failed;
        }
        int tail = n - best;
        double sigma = (bestAlpha - 1) / Math.Sqrt(tail);
        return new PowerLawFitResult(bestAlpha, x[best], x[n - 1], bestD, sigma, tail, true);
    }

    /// <summary>Candidate counts from which the first pass is spread over the cores.</summary>
    public const int ParallelThreshold = 2000;

    /// <summary>Points sampled per candidate in the first pass.</summary>
    private const int Samples = 64;

    /// <summary>Safety margin between the fast (exp-based) bounds and the exact (pow-based) distances.</summary>
    private const double BoundMargin = 1e-9;

    private static double Alpha(int n, int i, double[] logs, double[] suffix)
    {
        int k = n - i;
        return 1 + (k / (suffix[i] - (k * logs[i])));
    }

    private static bool Excluded(double xi, (double Low, double High)? range) =>
        range is { } r && (xi < r.Low || xi > r.High);

    /// <summary>
    /// The reference's argmin over candidates, exactly, without scanning every tail in full. Pass 1 gives
    /// each candidate a lower bound of its D from 64 evenly spread tail points (a maximum over a subset
    /// cannot exceed the maximum over all points), and remembers where that sample peaked. Pass 2 visits
    /// candidates by increasing bound: it stops as soon as a bound exceeds the best exact D found, and scans
    /// each remaining candidate outward from its peak, abandoning it once a point proves it cannot win.
    /// Exact D values use the reference's formula (pow), so xmin, alpha, D and the first-index tie rule
    /// are those of the straightforward scan; the fast exp-based bounds only decide what to skip, with a
    /// margin far above their rounding difference.
    /// </summary>
    private static (int Best, double D, double Alpha) Scan(double[] x, double[] logs, double[] suffix, (double Low, double High)? range)
    {
        int n = x.Length;
        int candidates = n - 1;
        var alpha = new double[candidates];
        var bound = new double[candidates];
        var peak = new int[candidates];
        void FirstPass(int i)
        {
            alpha[i] = Alpha(n, i, logs, suffix);
            (bound[i], peak[i]) = Excluded(x[i], range) ? (double.PositiveInfinity, 0) : SampledBound(logs, i, alpha[i]);
        }
        if (candidates >= ParallelThreshold)
        {
            Parallel.For(0, candidates, FirstPass);
        }
        else
        {
            for (int i = 0; i < candidates; i++)
            {
                FirstPass(i);
            }
        }
        for (int i = 0; i < candidates; i++)
        {
            if (double.IsNaN(bound[i]) && !Excluded(x[i], range))
            {
                // numpy's argmin returns the first NaN: the fit then fails on its NaN alpha.
                return (i, double.NaN, double.NaN);
            }
        }
        var order = new int[candidates];
        for (int i = 0; i < candidates; i++)
        {
            order[i] = i;
        }
        Array.Sort((double[])bound.Clone(), order);
        int best = -1;
        double bestD = double.PositiveInfinity;
        foreach (int i in order)
        {
            if (double.IsPositiveInfinity(bound[i]) || bound[i] - BoundMargin > bestD)
            {
                break;
            }
            double d = ExactDistance(x, i, alpha[i], peak[i], bestD, best);
            if (best < 0 || d < bestD || (d == bestD && i < best))
            {
                best = i;
                bestD = d;
            }
        }
        return best < 0 ? (-1, double.NaN, double.NaN) : (best, bestD, alpha[best]);
    }

    /// <summary>A lower bound of D from evenly spread tail points (exp of log differences), and the sampled peak.</summary>
    private static (double Bound, int Peak) SampledBound(double[] logs, int i, double alpha)
    {
        if (!(alpha > 1))
        {
            return double.IsNaN(alpha) ? (double.NaN, 0) : (1.0, 0);
        }
        int k = logs.Length - i;
        int stride = Math.Max(1, k / Samples);
        double exponent = 1 - alpha;
        double max = 0;
        int at = 0;
        for (int t = 0; t < k; t += stride)
        {
            double dist = Math.Abs(1 - Math.Exp(exponent * (logs[i + t] - logs[i])) - ((double)t / k));
            if (dist > max)
            {
                max = dist;
                at = t;
            }
        }
        return (max, at);
    }

    /// <summary>
    /// The exact D of candidate <paramref name="i"/> (1 when alpha &lt;= 1), scanning outward from
    /// <paramref name="start"/>. It returns early, with a value that cannot win, once a point shows the
    /// candidate cannot beat (<paramref name="bestD"/>, <paramref name="bestIndex"/>).
    /// </summary>
    internal static double ExactDistance(ReadOnlySpan<double> x, int i, double alpha, int start, double bestD, int bestIndex)
    {
        if (!(alpha > 1))
        {
            return 1.0;
        }
        int k = x.Length - i;
        double xmin = x[i];
        double exponent = 1 - alpha;
        bool laterIndex = bestIndex >= 0 && i > bestIndex;
        double max = 0;
        for (int offset = 0; start + offset < k || start - 1 - offset >= 0; offset++)
        {
            foreach (int t in (ReadOnlySpan<int>)[start + offset, start - 1 - offset])
            {
                if (t < 0 || t >= k)
                {
                    continue;
                }
                double dist = Math.Abs(1 - Math.Pow(x[i + t] / xmin, exponent) - ((double)t / k));
                if (dist > max)
                {
                    max = dist;
                    if (max > bestD || (laterIndex && max == bestD))
                    {
                        return max;
                    }
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
