using WeightWatcher.Core.Fitting;

namespace WeightWatcher.Core.Metrics;

/// <summary>Comparison of a layer's ESD with the ESD of its element-shuffled matrices (<c>randomize=True</c>).</summary>
/// <param name="MaxRandEval">Largest eigenvalue of the (multi-replica) random ESD.</param>
/// <param name="RandDistance">Jensen-Shannon distance between the rank-ordered actual and random eigenvalues.</param>
/// <param name="WwSoftrank">max(random) / max(actual).</param>
/// <param name="WwMaxdist">max(actual) - max(random).</param>
/// <param name="RandomMp">MP fit of the random ESD (the <c>rand_*</c> columns).</param>
public sealed record RandomizationMetrics(double MaxRandEval, double RandDistance, double WwSoftrank, double WwMaxdist, MpFitResult RandomMp)
{
    /// <summary>The random ESD itself (ascending; every replica's eigenvalues), for the randomized-ESD figure.</summary>
    public double[] Evals { get; init; } = [];

    /// <summary>Equal metrics and the same random eigenvalues (by value, not by array identity).</summary>
    public bool Equals(RandomizationMetrics? other) =>
        other is not null && MaxRandEval.Equals(other.MaxRandEval) && RandDistance.Equals(other.RandDistance) && WwSoftrank.Equals(other.WwSoftrank)
        && WwMaxdist.Equals(other.WwMaxdist) && RandomMp == other.RandomMp && Evals.AsSpan().SequenceEqual(other.Evals);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(MaxRandEval, RandDistance, WwSoftrank, WwMaxdist, RandomMp, Evals.Length);

    /// <summary>
    /// Jensen-Shannon distance (natural log) between two equally long non-negative vectors, each
    /// normalized to sum 1 (scipy's <c>entropy(p, m)</c> normalization).
    /// </summary>
    public static double JensenShannonDistance(double[] a, double[] b)
    {
        var p = Normalize(a);
        var q = Normalize(b);
        var m = Normalize(p.Zip(q, (x, y) => (x + y) / 2).ToArray());
        double divergence = (Kl(p, m) + Kl(q, m)) / 2;
        return Math.Sqrt(divergence);
    }

    private static double[] Normalize(double[] v)
    {
        double s = NumpySum.Pairwise(v);
        return v.Select(x => x / s).ToArray();
    }

    private static double Kl(double[] p, double[] m)
    {
        var terms = new double[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            terms[i] = p[i] > 0 ? p[i] * Math.Log(p[i] / m[i]) : 0;
        }
        return NumpySum.Pairwise(terms);
    }
}
