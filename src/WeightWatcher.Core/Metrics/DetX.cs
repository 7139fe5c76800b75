namespace WeightWatcher.Core.Metrics;

/// <summary>The detX tail estimate: the smallest tail whose rescaled eigenvalues multiply to at least 1.</summary>
/// <param name="Num">Number of eigenvalues in the detX tail (<c>detX_num</c>).</param>
/// <param name="Value">The eigenvalue where the tail starts (<c>detX_val</c>).</param>
/// <param name="RescaledValue">The same eigenvalue rescaled to unit mean; the reference names this column
/// <c>detX_val_unrescaled</c> although it holds the rescaled value (quirk Q20, matched).</param>
public sealed record DetX(int Num, double Value, double RescaledValue)
{
    /// <summary>Computes detX of <paramref name="evals"/> (ascending).</summary>
    public static DetX Compute(double[] evals)
    {
        int n = evals.Length;
        if (n == 0)
        {
            return new DetX(0, double.NaN, double.NaN);
        }
        double norm = NumpySum.Pairwise(evals);
        double wScale = Math.Sqrt(n) / Math.Sqrt(norm);
        double scale2 = wScale * wScale;
        var r = evals.Select(v => scale2 * v).ToArray();
        if (n < 2 || r[0] >= r[^1])
        {
            return new DetX(0, evals[0], r[0]);
        }
        int num = n;
        int idx = 1;
        double product = 1;
        for (int i = n - 1; i >= 1; i--)
        {
            product *= r[i];
            if (product < 1.0)
            {
                num = n - i;
                idx = i;
                break;
            }
        }
        return new DetX(num, evals[idx], r[idx]);
    }
}
