namespace WeightWatcher.Core.Fitting;

/// <summary>
/// <c>fix_fingers='xmin_peak'</c>, done as the reference intends rather than as it behaves: with its
/// default fitter the reference fails on every layer (a broadcast error, quirk Q7), and its lower bound
/// mixes a log10 value with a linear one (Q41). Here xmin is searched in [0.95 p, xmin_max], where p is
/// 10^(left edge of the first-maximum bin of a 100-bin histogram of log10 of the fitted eigenvalues) and
/// xmin_max defaults to 1.5 p. The rest of the fit is <see cref="PowerLawFit"/>.
/// </summary>
public static class XminPeak
{
    private const int Bins = 100;

    /// <summary>Fits <paramref name="evals"/> (ascending) with xmin restricted around the ESD peak.</summary>
    public static PowerLawFitResult Fit(double[] evals, double? xminMax)
    {
        var x = evals.Where(v => v > PowerLawFit.EvalsThreshold).ToArray();
        if (x.Length < 2)
        {
            return PowerLawFitResult.Failed;
        }
        double peak = PeakOf(x);
        double high = xminMax ?? 1.5 * peak;
        return PowerLawFit.Fit(evals, (0.95 * peak, high));
    }

    /// <summary>10^(left edge of the first fullest bin) of a 100-bin histogram of log10(x).</summary>
    public static double PeakOf(double[] x)
    {
        var logs = x.Select(Math.Log10).ToArray();
        double lo = logs.Min(), hi = logs.Max();
        if (hi == lo)
        {
            return x[0];
        }
        var counts = new int[Bins];
        double width = (hi - lo) / Bins;
        foreach (var l in logs)
        {
            int b = (int)((l - lo) / width);
            counts[Math.Min(b, Bins - 1)]++;
        }
        int peakBin = 0;
        for (int b = 1; b < Bins; b++)
        {
            if (counts[b] > counts[peakBin])
            {
                peakBin = b;
            }
        }
        return Math.Pow(10, lo + (peakBin * width));
    }
}
