namespace WeightWatcher.Core.Spectral;

/// <summary>A dense real matrix in column-major storage (the LAPACK convention), the input of every spectral backend.</summary>
/// <param name="Rows">Row count.</param>
/// <param name="Cols">Column count.</param>
/// <param name="Values">
/// At least Rows x Cols elements, column-major: element (i, j) at <c>i + j * Rows</c>. The array may be
/// longer (a pooled tensor buffer); elements past <see cref="Count"/> are not part of the matrix.
/// </param>
public sealed record WeightMatrix(int Rows, int Cols, double[] Values)
{
    /// <inheritdoc cref="WeightMatrix(int, int, double[])" path="/param[@name='Values']"/>
    public double[] Values { get; init; } = Rows >= 0 && Cols >= 0 && Values.LongLength >= (long)Rows * Cols
        ? Values
        : throw new ArgumentException($"a {Rows} x {Cols} matrix needs {(long)Rows * Cols} elements, the array holds {Values.LongLength}", nameof(Values));

    /// <summary>Element (i, j).</summary>
    public double this[int i, int j] => Values[i + (j * Rows)];

    /// <summary>The number of elements, Rows x Cols.</summary>
    public int Count => Rows * Cols;

    /// <summary>The matrix's elements (the first <see cref="Count"/> of <see cref="Values"/>).</summary>
    public Span<double> Elements => Values.AsSpan(0, Count);

    /// <summary>The smaller dimension: the number of singular values.</summary>
    public int MinDim => Math.Min(Rows, Cols);

    /// <summary>True when every element is finite (no NaN or infinity).</summary>
    public bool IsFinite()
    {
        foreach (var v in Elements)
        {
            if (!double.IsFinite(v))
            {
                return false;
            }
        }
        return true;
    }
}
