namespace WeightWatcher.Core.Spectral;

/// <summary>A dense real matrix in column-major storage (the LAPACK convention), the input of every spectral backend.</summary>
/// <param name="Rows">Row count.</param>
/// <param name="Cols">Column count.</param>
/// <param name="Values">Rows x Cols elements, column-major: element (i, j) at <c>i + j * Rows</c>.</param>
public sealed record WeightMatrix(int Rows, int Cols, double[] Values)
{
    /// <summary>Element (i, j).</summary>
    public double this[int i, int j] => Values[i + (j * Rows)];

    /// <summary>The smaller dimension: the number of singular values.</summary>
    public int MinDim => Math.Min(Rows, Cols);

    /// <summary>True when every element is finite (no NaN or infinity).</summary>
    public bool IsFinite()
    {
        foreach (var v in Values)
        {
            if (!double.IsFinite(v))
            {
                return false;
            }
        }
        return true;
    }
}
