namespace WeightWatcher.Core.Fitting;

/// <summary>Outcome of a power-law fit of an ESD tail, with the reference's failure sentinels.</summary>
/// <param name="Alpha">Exponent of rho(lambda) ~ lambda^-alpha; -1 on failure.</param>
/// <param name="Xmin">Start of the fitted tail; -1 on failure.</param>
/// <param name="Xmax">Largest eigenvalue that went into the fit; null on failure.</param>
/// <param name="D">One-sided Kolmogorov-Smirnov distance of the chosen fit; -1 on failure.</param>
/// <param name="Sigma">Standard error (alpha - 1)/sqrt(k); -1 on failure.</param>
/// <param name="TailCount">Number of fitted points at or above xmin (k); 0 on failure.</param>
/// <param name="Succeeded">False when the fit failed (fewer than two points above 1e-5, or alpha NaN).</param>
public sealed record PowerLawFitResult(double Alpha, double Xmin, double? Xmax, double D, double Sigma, int TailCount, bool Succeeded)
{
    /// <summary>The reference's failed fit: alpha = D = sigma = xmin = -1, xmax None.</summary>
    public static PowerLawFitResult Failed { get; } = new(-1, -1, null, -1, -1, 0, false);

    /// <summary>The <c>status</c> column: <c>success</c> or <c>failed</c>.</summary>
    public string Status => Succeeded ? "success" : "failed";
}
