using WeightWatcher.Core.Metrics;

namespace WeightWatcher.Core.Fitting;

/// <summary>Marchenko-Pastur fit of an ESD bulk (the reference's <c>mp_fit</c> columns).</summary>
/// <param name="SigmaMp">Fitted MP scale sigma (rescaled units).</param>
/// <param name="NumSpikes">Eigenvalues above the bulk edge plus the Tracy-Widom margin.</param>
/// <param name="MpSoftRank">Bulk edge over the largest rescaled eigenvalue.</param>
/// <param name="BulkMax">Bulk edge lambda+ in original eigenvalue units.</param>
/// <param name="BulkMin">Bulk edge lambda- in original eigenvalue units.</param>
/// <param name="WScale">sqrt(n / sum(lambda)): the rescaling that makes the mean eigenvalue 1.</param>
public sealed record MpFitResult(double SigmaMp, int NumSpikes, double MpSoftRank, double BulkMax, double BulkMin, double WScale)
{
    /// <summary>The reference's failure value: -1 in all six columns.</summary>
    public static MpFitResult Failed { get; } = new(-1, -1, -1, -1, -1, -1);
}

/// <summary>
/// The reference's MP fit: rescale the ESD to mean 1, estimate its density with a linear-kernel KDE
/// (bandwidth 0.1) on 1000 points, choose sigma on a grid by least squares against the MP density (or
/// the quarter-circle law on singular values when Q == 1), then polish sigma with Nelder-Mead exactly
/// as scipy's <c>fmin</c> does.
/// </summary>
public static class MarchenkoPasturFit
{
    private const double Bandwidth = 0.1;
    private const int KdePoints = 1000;
    private const double DensityFloor = 0.01;
    private const double PenaltyResidual = 1000;

    /// <summary>Fits <paramref name="evals"/> (ascending) for a layer of aspect ratio <paramref name="q"/> and smaller dimension <paramref name="m"/>.</summary>
    public static MpFitResult Fit(double[] evals, double q, int m)
    {
        try
        {
            return FitCore(evals, q, m);
        }
        catch (ArithmeticException)
        {
            return MpFitResult.Failed;
        }
    }

    private static MpFitResult FitCore(double[] evals, double q, int m)
    {
        int n = evals.Length;
        if (n == 0)
        {
            return MpFitResult.Failed;
        }
        double total = NumpySum.Pairwise(evals);
        double wScale = Math.Sqrt(n) / Math.Sqrt(total);
        double scale2 = wScale * wScale;
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = scale2 * evals[i];
        }
        double lambdaMax = x.Max();
        double invSqrtQ = 1.0 / Math.Sqrt(q);
        double s0 = Math.Sqrt(lambdaMax / Square(1 + invSqrtQ));
        bool quarterCircle = q == 1;
        var y = quarterCircle ? x.Select(Math.Sqrt).ToArray() : x;

        var (t, f) = KernelDensity(y);
        var objective = new MpObjective(t, f, q, quarterCircle);

        double start = 0.05 * s0, step = 0.01 * s0;
        int count = (int)Math.Ceiling(((2.0 * s0) - start) / step);
        double bestSigma = start, bestR = double.PositiveInfinity;
        for (int g = 0; g < count; g++)
        {
            double sigma = (g * step) + start;
            double r = objective.Residual(sigma);
            if (r < bestR || g == 0)
            {
                bestR = r;
                bestSigma = sigma;
            }
        }
        double polished = NelderMead1D.Minimize(objective.Residual, bestSigma);
        if (!double.IsFinite(polished))
        {
            return MpFitResult.Failed;
        }
        double sq = Math.Sqrt(1 / q);
        double bulkMax = Square(polished * (1 + sq));
        double bulkMin = Square(polished * (1 - sq));
        double tw = 1 / Math.Sqrt(q) * Math.Pow(bulkMax, 2.0 / 3.0) * Math.Pow(m, -2.0 / 3.0);
        double cutoff = bulkMax + Math.Sqrt(tw);
        int spikes = x.Count(v => v > cutoff);
        return new MpFitResult(polished, spikes, bulkMax / lambdaMax, bulkMax / scale2, bulkMin / scale2, wScale);
    }

    /// <summary>
    /// The linear-kernel density (scikit-learn <c>kernel='linear'</c>) of <paramref name="y"/> on
    /// numpy's <c>linspace(0, max(y) + 0.5, 1000)</c>.
    /// </summary>
    internal static (double[] T, double[] F) KernelDensity(double[] y)
    {
        double stop = y.Max() + 0.5;
        double step = stop / (KdePoints - 1);
        var t = new double[KdePoints];
        for (int k = 0; k < KdePoints; k++)
        {
            t[k] = k * step;
        }
        t[^1] = stop;
        var sorted = (double[])y.Clone();
        Array.Sort(sorted);
        var f = new double[KdePoints];
        double norm = 1.0 / (sorted.Length * Bandwidth);
        for (int k = 0; k < KdePoints; k++)
        {
            // Only points within one bandwidth contribute: find them by binary search.
            int lo = LowerBound(sorted, t[k] - Bandwidth);
            double sum = 0;
            for (int i = lo; i < sorted.Length && sorted[i] < t[k] + Bandwidth; i++)
            {
                double u = 1 - (Math.Abs(t[k] - sorted[i]) / Bandwidth);
                if (u > 0)
                {
                    sum += u;
                }
            }
            f[k] = sum * norm;
        }
        return (t, f);
    }

    private static int LowerBound(double[] a, double v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (a[mid] <= v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private static double Square(double v) => v * v;

    /// <summary>R(sigma): squared distance between the model density and the KDE where the KDE exceeds 0.01.</summary>
    private sealed class MpObjective
    {
        private readonly double[] _t;
        private readonly double[] _f;
        private readonly double _q;
        private readonly bool _quarterCircle;
        private readonly double _peakT;
        private readonly double _lastT;

        public MpObjective(double[] t, double[] f, double q, bool quarterCircle)
        {
            var kept = Enumerable.Range(0, t.Length).Where(k => f[k] > DensityFloor).ToArray();
            _t = kept.Select(k => t[k]).ToArray();
            _f = kept.Select(k => f[k]).ToArray();
            _q = q;
            _quarterCircle = quarterCircle;
            if (_t.Length > 0)
            {
                int peak = 0;
                for (int k = 1; k < _f.Length; k++)
                {
                    if (_f[k] > _f[peak])
                    {
                        peak = k;
                    }
                }
                _peakT = _t[peak];
                _lastT = _t[^1];
            }
        }

        public double Residual(double sigma)
        {
            if (_t.Length == 0)
            {
                return 0;
            }
            double sum = 0;
            if (_quarterCircle)
            {
                double c = 1 / (Math.PI * sigma * sigma);
                for (int k = 0; k < _t.Length; k++)
                {
                    double rho = NanToNum(c * Math.Sqrt(4 - (_t[k] * _t[k])));
                    double r = rho - _f[k];
                    sum += r * r;
                }
                return sum;
            }
            double yq = 1 / _q;
            double sq = Math.Sqrt(1 / _q);
            double b = Square(sigma * (1 + sq));
            double a = Square(sigma * (1 - sq));
            if (b < _peakT || b > _lastT || a > _peakT)
            {
                return _t.Length * PenaltyResidual * PenaltyResidual;
            }
            for (int k = 0; k < _t.Length; k++)
            {
                double x = _t[k];
                double rho = NanToNum(1 / (2 * Math.PI * sigma * sigma * x * yq) * Math.Sqrt((b - x) * (x - a)));
                double r = rho - _f[k];
                sum += r * r;
            }
            return sum;
        }

        private static double NanToNum(double v) =>
            double.IsNaN(v) ? 0 : double.IsPositiveInfinity(v) ? double.MaxValue : double.IsNegativeInfinity(v) ? double.MinValue : v;
    }
}
