namespace WeightWatcher.Core.Spectral;

/// <summary>Computes pooled ESDs (the reference's <c>combined_eigenvalues</c>) with a given backend.</summary>
public sealed class EsdCalculator
{
    private readonly ISpectralBackend _backend;

    /// <summary>Creates a calculator over <paramref name="backend"/>.</summary>
    public EsdCalculator(ISpectralBackend backend) => _backend = backend;

    /// <summary>The backend in use.</summary>
    public ISpectralBackend Backend => _backend;

    /// <summary>
    /// Squares the singular values of every matrix, pools and sorts them. <paramref name="n"/> is the
    /// layer's N, used in the rank tolerance s_max * N * eps (eps = double machine epsilon).
    /// </summary>
    public LayerSpectrum Compute(IReadOnlyList<WeightMatrix> matrices, int n)
    {
        var pooled = new List<double>();
        double svMax = 0, svMin = 0;
        int rankLoss = 0;
        foreach (var w in matrices)
        {
            var sv = _backend.SingularValues(w);
            if (sv.Length == 0)
            {
                continue;
            }
            double max = sv.Max();
            double min = sv.Min();
            svMax = Math.Max(svMax, max);
            svMin = Math.Max(svMin, min);
            double tol = max * n * MachineEpsilon.Double;
            rankLoss += sv.Length - sv.Count(s => s > tol);
            foreach (var s in sv)
            {
                pooled.Add(s * s);
            }
        }
        var evals = pooled.ToArray();
        Array.Sort(evals);
        return new LayerSpectrum(evals, svMax, svMin, rankLoss);
    }

    /// <summary>Eigenvalues of the element-shuffled matrices (the reference's random ESD), pooled and sorted.</summary>
    public double[] ShuffledEvals(IReadOnlyList<WeightMatrix> matrices, int replicas, Random rng)
    {
        var pooled = new List<double>();
        for (int r = 0; r < replicas; r++)
        {
            foreach (var w in matrices)
            {
                var shuffled = w.Elements.ToArray();
                rng.Shuffle(shuffled);
                foreach (var s in _backend.SingularValues(w with { Values = shuffled }))
                {
                    pooled.Add(s * s);
                }
            }
        }
        var evals = pooled.ToArray();
        Array.Sort(evals);
        return evals;
    }
}

/// <summary>Machine constants as numpy names them.</summary>
internal static class MachineEpsilon
{
    /// <summary>numpy <c>finfo(float64).eps</c> = 2^-52.</summary>
    public const double Double = 2.220446049250313e-16;

}
