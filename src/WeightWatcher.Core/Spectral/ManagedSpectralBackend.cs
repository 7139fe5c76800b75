using MathNet.Numerics.LinearAlgebra.Double;

namespace WeightWatcher.Core.Spectral;

/// <summary>
/// Singular values through Math.NET's managed (pure C#) SVD: a backward-stable Golub-Kahan method, so
/// its values agree with LAPACK's <c>gesdd</c> to about 1e-13 relative. Slow for large matrices; the
/// OpenBLAS backend replaces it where the native library is present.
/// </summary>
public sealed class ManagedSpectralBackend : ISpectralBackend
{
    /// <summary>A shared instance (the backend is stateless).</summary>
    public static ManagedSpectralBackend Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "managed (Math.NET Numerics)";

    /// <inheritdoc />
    public double[] SingularValues(WeightMatrix matrix)
    {
        if (matrix.Rows == 0 || matrix.Cols == 0)
        {
            return [];
        }
        // The managed SVD works on a copy; a tall orientation keeps its bidiagonalisation cheaper.
        DenseMatrix m = matrix.Rows >= matrix.Cols
            ? DenseMatrix.OfColumnMajor(matrix.Rows, matrix.Cols, (double[])matrix.Values.Clone())
            : (DenseMatrix)DenseMatrix.OfColumnMajor(matrix.Rows, matrix.Cols, matrix.Values).Transpose();
        var s = m.Svd(computeVectors: false).S;
        return s.ToArray();
    }
}
