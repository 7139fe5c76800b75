namespace WeightWatcher.Core.Regression;

/// <summary>A straight-line fit of y on x and the rank agreement of the two.</summary>
/// <param name="N">Finite (x, y) pairs used.</param>
/// <param name="Slope">Least-squares slope; NaN when x is constant.</param>
/// <param name="Intercept">Least-squares intercept; NaN when x is constant.</param>
/// <param name="Rmse">Population root-mean-square residual, sqrt(SSE/n); NaN when x is constant.</param>
/// <param name="R2">1 - SSE/SST; NaN when x or y is constant.</param>
/// <param name="KendallTau">Kendall's tau-b of (x, y) (tau-a when there are no ties); NaN when x or y is constant.</param>
public sealed record RegressionResult(int N, double Slope, double Intercept, double Rmse, double R2, double KendallTau);

/// <summary>
/// The paper's per-series test of a metric (Martin, Peng, Mahoney 2021): ordinary least squares of
/// reported accuracy on the metric's per-model average, judged by RMSE, R^2 and Kendall's tau.
/// </summary>
public static class SeriesRegression
{
    /// <summary>
    /// Fits y = slope * x + intercept by ordinary least squares. Pairs where x or y is NaN or infinite
    /// are dropped first. Sums are taken over values centred on their means, so offsets large against
    /// the spread (accuracies near 90 %, say) lose no precision. When x is constant the line is not
    /// determined: slope, intercept, RMSE, R^2 and tau are NaN. When only y is constant the slope is 0
    /// and RMSE 0, but R^2 (0/0) and tau are NaN.
    /// </summary>
    /// <param name="x">The predictor, e.g. a metric's per-model average.</param>
    /// <param name="y">The response, e.g. top-1 accuracy; same length as <paramref name="x"/>.</param>
    /// <exception cref="ArgumentException">The lengths differ, or fewer than two finite pairs remain.</exception>
    public static RegressionResult Fit(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"x has {x.Count} values but y has {y.Count}", nameof(y));
        }
        var xs = new List<double>(x.Count);
        var ys = new List<double>(y.Count);
        for (int i = 0; i < x.Count; i++)
        {
            if (double.IsFinite(x[i]) && double.IsFinite(y[i]))
            {
                xs.Add(x[i]);
                ys.Add(y[i]);
            }
        }
        int n = xs.Count;
        if (n < 2)
        {
            throw new ArgumentException($"a regression needs at least 2 finite (x, y) pairs; got {n}", nameof(x));
        }

        double xMean = Mean(xs);
        double yMean = Mean(ys);
        double sxx = 0, sxy = 0, syy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = xs[i] - xMean;
            double dy = ys[i] - yMean;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }
        double tau = KendallTauB(xs, ys);
        if (sxx == 0)
        {
            return new RegressionResult(n, double.NaN, double.NaN, double.NaN, double.NaN, tau);
        }
        double slope = sxy / sxx;
        double intercept = yMean - (slope * xMean);
        // Residuals from the centred form: y - yMean - slope (x - xMean) avoids cancelling two large terms.
        double sse = 0;
        for (int i = 0; i < n; i++)
        {
            double r = ys[i] - yMean - (slope * (xs[i] - xMean));
            sse += r * r;
        }
        double r2 = syy == 0 ? double.NaN : 1 - (sse / syy);
        return new RegressionResult(n, slope, intercept, Math.Sqrt(sse / n), r2, tau);
    }

    /// <summary>
    /// Kendall's tau-b: (concordant - discordant) / sqrt((n0 - tiesX)(n0 - tiesY)) over all n0 pairs,
    /// a pair tied in x (or y) counting in tiesX (or tiesY) and neither concordant nor discordant. NaN
    /// when x or y is constant. Quadratic in n, which is the number of models in a series.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ, or a value is NaN.</exception>
    public static double KendallTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"x has {x.Count} values but y has {y.Count}", nameof(y));
        }
        if (x.Any(double.IsNaN) || y.Any(double.IsNaN))
        {
            throw new ArgumentException("NaN has no rank", nameof(x));
        }
        int n = x.Count;
        long concordant = 0, discordant = 0, tiesX = 0, tiesY = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                // CompareTo rather than a difference, which is NaN for two equal infinities.
                int sx = Math.Sign(x[j].CompareTo(x[i]));
                int sy = Math.Sign(y[j].CompareTo(y[i]));
                tiesX += sx == 0 ? 1 : 0;
                tiesY += sy == 0 ? 1 : 0;
                if (sx * sy > 0)
                {
                    concordant++;
                }
                else if (sx * sy < 0)
                {
                    discordant++;
                }
            }
        }
        long pairs = (long)n * (n - 1) / 2;
        double denominator = Math.Sqrt((double)(pairs - tiesX) * (pairs - tiesY));
        return denominator == 0 ? double.NaN : (concordant - discordant) / denominator;
    }

    private static double Mean(List<double> values)
    {
        double sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }
        return sum / values.Count;
    }
}
