namespace WeightWatcher.Core.Spectral;

/// <summary>
/// Bare calls into the native provider, without the backend's checks or route choice: the baselines that
/// <c>ww bench</c> compares the ESD path with, and the DGEMM that measures the machine's rate.
/// </summary>
public static unsafe class NativeKernels
{
    private const int NoTranspose = 111;

    /// <summary>c = a b for square column-major n x n matrices (MathNet's <c>d_matrix_multiply</c>).</summary>
    public static void Dgemm(int n, double[] a, double[] b, double[] c)
    {
        fixed (double* pa = a)
        fixed (double* pb = b)
        fixed (double* pc = c)
        {
            OpenBlasNative.DMatrixMultiply(NoTranspose, NoTranspose, n, n, n, 1.0, pa, pb, 0.0, pc);
        }
    }

    /// <summary>Eigenvalues of the smaller Gram matrix (recursive dgemm + dsyevd), ascending.</summary>
    public static double[] GramEigenvalues(WeightMatrix m)
    {
        var w = new double[m.MinDim];
        fixed (double* pa = m.Values)
        fixed (double* pw = w)
        {
            Check(OpenBlasNative.DGramEigenvalues(m.Rows, m.Cols, pa, pw));
        }
        return w;
    }

    /// <summary>Singular values by dgesdd (values only), descending; the native side works on a copy.</summary>
    public static double[] SvdValues(WeightMatrix m)
    {
        var s = new double[m.MinDim];
        fixed (double* pa = m.Values)
        fixed (double* ps = s)
        {
            Check(OpenBlasNative.DSvdValues(m.Rows, m.Cols, pa, ps));
        }
        return s;
    }

    private static void Check(int info)
    {
        if (info != 0)
        {
            throw new ArithmeticException($"LAPACK returned {info}");
        }
    }
}
