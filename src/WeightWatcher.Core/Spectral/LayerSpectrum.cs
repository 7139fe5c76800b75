namespace WeightWatcher.Core.Spectral;

/// <summary>
/// The pooled empirical spectral density of one analyzed row: the squared singular values of all its
/// matrices, sorted ascending, with the reference's per-matrix bookkeeping.
/// </summary>
/// <param name="Evals">Pooled eigenvalues, ascending.</param>
/// <param name="SvMax">Largest singular value over the matrices.</param>
/// <param name="SvMin">Maximum over matrices of each matrix's smallest singular value (reference quirk Q3).</param>
/// <param name="RankLoss">Sum over matrices of the singular values at or below s_max * N * eps.</param>
public sealed record LayerSpectrum(double[] Evals, double SvMax, double SvMin, int RankLoss)
{
    /// <summary>Largest eigenvalue (0 for an empty spectrum).</summary>
    public double LambdaMax => Evals.Length == 0 ? 0 : Evals[^1];
}
