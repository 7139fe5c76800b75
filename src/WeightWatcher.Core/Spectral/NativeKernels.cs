namespace WeightWatcher.Core.Spectral;

/// <summary>
/// Bare calls into the native provider, without the backend's checks or route choice: the baselines that
/// <c>ww bench</c> compares the ESD path with, and the DGEMM that measures the machine's rate.
/// </summary>
public static class NativeKernels
{
    private const int NoTranspose = 111;

    /// <summary>c = a b for square column-major n x n matrices (MathNet's <c>d_matrix_multiply</c>).</summary>
    /// <param name="n">The order of the three matrices.</param>
    /// <param name="a">The left factor, at least n x n elements.</param>
    /// <param name="b">The right factor, at least n x n elements.</param>
    /// <param name="c">Receives the product, at least n x n elements.</param>
    public static void Dgemm(int n, double[] a, double[] b, double[] c)
    {
        OpenBlasNative.DMatrixMultiply(NoTranspose, NoTranspose, n, n, n, 1.0, a, b, 0.0, c);
    }

    /// <summary>Eigenvalues of the smaller Gram matrix (recursive dgemm + dsyevd), ascending.</summary>
    /// <param name="m">The matrix.</param>
    /// <exception cref="ArithmeticException">LAPACK failed, or the matrix is not finite (<see cref="NativeStatusExtensions.ThrowIfFailed"/>).</exception>
    public static double[] GramEigenvalues(WeightMatrix m)
    {
        var w = new double[m.MinDim];
        OpenBlasNative.DGramEigenvalues(m.Rows, m.Cols, m.Elements, w).ThrowIfFailed("dsyevd");
        return w;
    }

    /// <summary>Singular values by dgesdd (values only), descending; the native side works on a copy.</summary>
    /// <param name="m">The matrix.</param>
    /// <exception cref="ArithmeticException">LAPACK failed, or the matrix is not finite (<see cref="NativeStatusExtensions.ThrowIfFailed"/>).</exception>
    public static double[] SvdValues(WeightMatrix m)
    {
        var s = new double[m.MinDim];
        OpenBlasNative.DSvdValues(m.Rows, m.Cols, m.Elements, s).ThrowIfFailed("dgesdd");
        return s;
    }
}
