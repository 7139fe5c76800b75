namespace WeightWatcher.Core.Fitting;

/// <summary>
/// The reference's <c>fix_fingers='clip_xmax'</c>: refit with the top c = 2, 3, ... eigenvalues removed and
/// keep the first fit whose alpha drops by more than the threshold below the unclipped alpha; stop
/// (keeping the unclipped fit) at the first alpha at or below 2. Removing a single value is never tried,
/// and <c>num_fingers</c> is reported as c - 1 (quirk Q8, matched).
/// </summary>
public static class FingerClipping
{
    private const double MinAlpha = 2.0;
    private const int DefaultMaxFingers = 10;

    /// <summary>Fits <paramref name="evals"/> (ascending) with finger clipping.</summary>
    public static TailFit Fit(double[] evals, int maxFingers, double fingerThresh)
    {
        var raw = PowerLawFit.Fit(evals);
        // The reference resets max_fingers to its default unless it reaches half the spectrum.
        if (maxFingers < evals.Length / 2.0)
        {
            maxFingers = DefaultMaxFingers;
        }
        var best = raw;
        int fingers = 0;
        for (int c = 2; c < maxFingers && c < evals.Length; c++)
        {
            var fit = PowerLawFit.Fit(evals.AsSpan(0, evals.Length - c));
            if (fit.Alpha + fingerThresh < raw.Alpha)
            {
                best = fit;
                fingers = c - 1;
                break;
            }
            if (fit.Alpha <= MinAlpha)
            {
                break;
            }
        }
        return new TailFit(best, 0, fingers, raw.Alpha);
    }
}
