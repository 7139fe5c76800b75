namespace WeightWatcher.Core.Metrics;

/// <summary>Scale and shape metrics computed from a pooled ESD (the reference's <c>apply_norm_metrics</c>).</summary>
/// <param name="Norm">Sum of eigenvalues: the squared Frobenius norm.</param>
/// <param name="LogNorm">log10 of <paramref name="Norm"/>.</param>
/// <param name="SpectralNorm">Largest eigenvalue: the squared spectral norm.</param>
/// <param name="LogSpectralNorm">log10 of <paramref name="SpectralNorm"/>.</param>
/// <param name="StableRank">Norm / spectral norm.</param>
/// <param name="MatrixRank">Count of singular values above s_max * N * eps.</param>
/// <param name="Entropy">Normalized matrix entropy of the spectrum.</param>
/// <param name="WeakRankLoss">Count of eigenvalues below the tolerance.</param>
public sealed record NormMetrics(
    double Norm,
    double LogNorm,
    double SpectralNorm,
    double LogSpectralNorm,
    double StableRank,
    int MatrixRank,
    double Entropy,
    int WeakRankLoss)
{
    /// <summary>The reference's entropy epsilon on the CPU path.</summary>
    public const double EntropyEpsilon = 1e-10;

    /// <summary>Computes the metrics of <paramref name="evals"/> (ascending) for a layer whose larger dimension is <paramref name="n"/>.</summary>
    public static NormMetrics Compute(double[] evals, int n, double tolerance)
    {
        double norm = NumpySum.Pairwise(evals);
        double lambdaMax = evals.Length == 0 ? double.NaN : evals[^1];
        int rank = MatrixRankOf(evals, n);
        return new NormMetrics(
            norm,
            Math.Log10(norm),
            lambdaMax,
            Math.Log10(lambdaMax),
            norm / lambdaMax,
            rank,
            EntropyOf(evals, norm, rank),
            evals.Count(v => v < tolerance));
    }

    /// <summary>#{sqrt(lambda) > sqrt(lambda_max) * N * eps}, eps = 2^-52 (numpy's <c>matrix_rank</c> tolerance).</summary>
    public static int MatrixRankOf(double[] evals, int n)
    {
        if (evals.Length == 0)
        {
            return 0;
        }
        double tol = Math.Sqrt(evals.Max()) * n * 2.220446049250313e-16;
        return evals.Count(v => Math.Sqrt(v) > tol);
    }

    /// <summary>
    /// -sum(p ln p) / ln(rank + eps) with p = lambda / sum(lambda) + eps. Exact-zero spectra give NaN and a
    /// rank-1 spectrum divides by ln(1 + 1e-10), as the reference does.
    /// </summary>
    public static double EntropyOf(double[] evals, double norm, int rank)
    {
        var terms = new double[evals.Length];
        for (int i = 0; i < evals.Length; i++)
        {
            double p = (evals[i] / norm) + EntropyEpsilon;
            terms[i] = p * Math.Log(p);
        }
        return -NumpySum.Pairwise(terms) / Math.Log(rank + EntropyEpsilon);
    }
}
