using System.Runtime.InteropServices;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Core.Tests.Native;

/// <summary>
/// Entry points of libMathNetNumericsOpenBLAS.so that <see cref="OpenBlasNative"/> does not declare (the
/// single-precision BLAS calls and MathNet's <c>set_max_threads</c>), with the signatures MathNet uses.
/// </summary>
internal static unsafe partial class NativeTestImports
{
    [LibraryImport(OpenBlasNative.Library, EntryPoint = "set_max_threads")]
    public static partial void SetMaxThreads(int numThreads);

    [LibraryImport(OpenBlasNative.Library, EntryPoint = "s_dot_product")]
    public static partial float SDot(int n, float* x, float* y);

    // As MathNet declares them (a `string` return): the marshaller frees the returned pointer with free().
    [LibraryImport(OpenBlasNative.Library, EntryPoint = "get_build_config", StringMarshalling = StringMarshalling.Utf8)]
    public static partial string? BuildConfigAsMathNetDeclaresIt();

    [LibraryImport(OpenBlasNative.Library, EntryPoint = "get_cpu_core", StringMarshalling = StringMarshalling.Utf8)]
    public static partial string? CpuCoreAsMathNetDeclaresIt();

    [LibraryImport(OpenBlasNative.Library, EntryPoint = "s_matrix_multiply")]
    public static partial void SMatrixMultiply(int transA, int transB, int m, int n, int k, float alpha, float* x, float* y, float beta, float* c);
}

/// <summary>Array wrappers over the native entry points, so the tests read as plain calls.</summary>
internal static unsafe class NativeCalls
{
    public const int NoTranspose = 111;
    public const int Transpose = 112;

    public static double DDot(double[] x, double[] y)
    {
        fixed (double* px = x)
        fixed (double* py = y)
        {
            return OpenBlasNative.DDot(x.Length, px, py);
        }
    }

    public static float SDot(float[] x, float[] y)
    {
        fixed (float* px = x)
        fixed (float* py = y)
        {
            return NativeTestImports.SDot(x.Length, px, py);
        }
    }

    public static void DGemm(int transA, int transB, int m, int n, int k, double alpha, double[] x, double[] y, double beta, double[] c)
    {
        fixed (double* px = x)
        fixed (double* py = y)
        fixed (double* pc = c)
        {
            OpenBlasNative.DMatrixMultiply(transA, transB, m, n, k, alpha, px, py, beta, pc);
        }
    }

    public static void SGemm(int transA, int transB, int m, int n, int k, float alpha, float[] x, float[] y, float beta, float[] c)
    {
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (float* pc = c)
        {
            NativeTestImports.SMatrixMultiply(transA, transB, m, n, k, alpha, px, py, beta, pc);
        }
    }

    public static int DSvdFactor(bool vectors, int m, int n, double[] a, double[] s, double[] u, double[] vt)
    {
        fixed (double* pa = a)
        fixed (double* ps = s)
        fixed (double* pu = u)
        fixed (double* pv = vt)
        {
            return OpenBlasNative.DSvdFactor(vectors ? 1 : 0, m, n, pa, ps, pu, pv);
        }
    }

    public static int SSvdFactor(bool vectors, int m, int n, float[] a, float[] s, float[] u, float[] vt)
    {
        fixed (float* pa = a)
        fixed (float* ps = s)
        fixed (float* pu = u)
        fixed (float* pv = vt)
        {
            return OpenBlasNative.SSvdFactor(vectors ? 1 : 0, m, n, pa, ps, pu, pv);
        }
    }

    public static int DSvdValues(int m, int n, double[] a, double[] s)
    {
        fixed (double* pa = a)
        fixed (double* ps = s)
        {
            return OpenBlasNative.DSvdValues(m, n, pa, ps);
        }
    }

    public static int SSvdValues(int m, int n, double[] a, double[] s)
    {
        fixed (double* pa = a)
        fixed (double* ps = s)
        {
            return OpenBlasNative.SSvdValues(m, n, pa, ps);
        }
    }

    public static int DGramEigenvalues(int m, int n, double[] a, double[] w)
    {
        fixed (double* pa = a)
        fixed (double* pw = w)
        {
            return OpenBlasNative.DGramEigenvalues(m, n, pa, pw);
        }
    }

    public static int SGramEigenvalues(int m, int n, double[] a, double[] w)
    {
        fixed (double* pa = a)
        fixed (double* pw = w)
        {
            return OpenBlasNative.SGramEigenvalues(m, n, pa, pw);
        }
    }
}
