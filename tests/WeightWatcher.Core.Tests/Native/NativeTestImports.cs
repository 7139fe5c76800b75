using System.Runtime.InteropServices;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Core.Tests.Native;

/// <summary>
/// Entry points of libMathNetNumericsOpenBLAS.so that only the tests call, so <see cref="OpenBlasNative"/>
/// (the production import class) does not declare them: the rest of MathNet's provider ABI, with the
/// signatures MathNet uses, and OpenBLAS's threading model. Arrays pass as spans, pinned by the generated
/// marshalling, as in <see cref="OpenBlasNative"/>.
/// </summary>
internal static partial class NativeTestImports
{
    /// <summary>CBLAS's code for no transpose.</summary>
    public const int NoTranspose = 111;

    /// <summary>CBLAS's code for transpose.</summary>
    public const int Transpose = 112;

    [LibraryImport(OpenBlasNative.Library, EntryPoint = "get_parallel_type")]
    public static partial int ParallelType();

    [LibraryImport(OpenBlasNative.Library, EntryPoint = "d_dot_product")]
    private static partial double DDot(int n, ReadOnlySpan<double> x, ReadOnlySpan<double> y);

    [LibraryImport(OpenBlasNative.Library, EntryPoint = "s_dot_product")]
    private static partial float SDot(int n, ReadOnlySpan<float> x, ReadOnlySpan<float> y);

    public static double DDot(double[] x, double[] y) => DDot(x.Length, x, y);

    public static float SDot(float[] x, float[] y) => SDot(x.Length, x, y);

    // As MathNet declares them (a `string` return): the marshaller frees the returned pointer with free().
    [LibraryImport(OpenBlasNative.Library, EntryPoint = "get_build_config", StringMarshalling = StringMarshalling.Utf8)]
    public static partial string? BuildConfigAsMathNetDeclaresIt();

    [LibraryImport(OpenBlasNative.Library, EntryPoint = "get_cpu_core", StringMarshalling = StringMarshalling.Utf8)]
    public static partial string? CpuCoreAsMathNetDeclaresIt();

    [LibraryImport(OpenBlasNative.Library, EntryPoint = "s_matrix_multiply")]
    public static partial void SGemm(int transA, int transB, int m, int n, int k, float alpha, ReadOnlySpan<float> x, ReadOnlySpan<float> y, float beta, Span<float> c);

    // compute_vectors is a one-byte C bool, as MathNet marshals it.
    [LibraryImport(OpenBlasNative.Library, EntryPoint = "d_svd_factor")]
    public static partial int DSvdFactor([MarshalAs(UnmanagedType.U1)] bool computeVectors, int m, int n, Span<double> a, Span<double> s, Span<double> u, Span<double> vt);

    [LibraryImport(OpenBlasNative.Library, EntryPoint = "s_svd_factor")]
    public static partial int SSvdFactor([MarshalAs(UnmanagedType.U1)] bool computeVectors, int m, int n, Span<float> a, Span<float> s, Span<float> u, Span<float> vt);
}
