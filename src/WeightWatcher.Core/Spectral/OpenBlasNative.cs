using System.Runtime.InteropServices;

namespace WeightWatcher.Core.Spectral;

/// <summary>
/// The one import class of <c>libMathNetNumericsOpenBLAS.so</c> (src/WeightWatcher.Native): the part of
/// MathNet's provider ABI this project calls and the project's values-only spectral functions. Matrices
/// are column-major. Arrays pass as spans, which the generated marshalling pins for the call, so callers
/// need neither <c>unsafe</c> nor <c>fixed</c>; statuses map to exceptions in
/// <see cref="NativeStatusExtensions.ThrowIfFailed"/>. Entry points only the tests call are declared in
/// the test project.
/// </summary>
internal static partial class OpenBlasNative
{
    /// <summary>The library's name as the loader resolves it (next to the assemblies).</summary>
    public const string Library = "libMathNetNumericsOpenBLAS";

    /// <summary>Revision of the spectral entry points this code calls (2: const double input in both precisions).</summary>
    public const int RequiredRevision = 2;

    /// <summary>The provider's own revision (<c>WW_PROVIDER_REVISION</c>).</summary>
    [LibraryImport(Library, EntryPoint = "ww_revision")]
    public static partial int Revision();

    /// <summary>MathNet's capability handshake (0 -> 0, 1 -> -1, 64 -> revision, 128 -> 1).</summary>
    [LibraryImport(Library, EntryPoint = "query_capability")]
    public static partial int QueryCapability(int capability);

    // The native side returns heap copies; the UTF-8 marshaller frees them after reading.

    /// <summary>OpenBLAS's build configuration string.</summary>
    [LibraryImport(Library, EntryPoint = "get_build_config", StringMarshalling = StringMarshalling.Utf8)]
    public static partial string? BuildConfig();

    /// <summary>The CPU kernel family OpenBLAS selected.</summary>
    [LibraryImport(Library, EntryPoint = "get_cpu_core", StringMarshalling = StringMarshalling.Utf8)]
    public static partial string? CpuCore();

    /// <summary>Threads one OpenBLAS call may use.</summary>
    [LibraryImport(Library, EntryPoint = "ww_get_num_threads")]
    public static partial int GetNumThreads();

    /// <summary>Sets the threads one OpenBLAS call may use (MathNet's <c>set_max_threads</c>: one process-wide setting).</summary>
    [LibraryImport(Library, EntryPoint = "set_max_threads")]
    public static partial void SetNumThreads(int n);

    /// <summary>Singular values of the m x n matrix <paramref name="a"/> (dgesdd, values only, on a native copy), descending, into <paramref name="s"/> (min(m, n) values).</summary>
    [LibraryImport(Library, EntryPoint = "ww_dsvd_values")]
    public static partial NativeStatus DSvdValues(int m, int n, ReadOnlySpan<double> a, Span<double> s);

    /// <summary>As <see cref="DSvdValues"/> on <paramref name="a"/> rounded to float32 (sgesdd); the values come back widened to double.</summary>
    [LibraryImport(Library, EntryPoint = "ww_ssvd_values")]
    public static partial NativeStatus SSvdValues(int m, int n, ReadOnlySpan<double> a, Span<double> s);

    /// <summary>Eigenvalues of the smaller Gram matrix of <paramref name="a"/> (recursive dgemm + dsyevd), ascending, into <paramref name="w"/> (min(m, n) values).</summary>
    [LibraryImport(Library, EntryPoint = "ww_dgram_eigvals")]
    public static partial NativeStatus DGramEigenvalues(int m, int n, ReadOnlySpan<double> a, Span<double> w);

    /// <summary>As <see cref="DGramEigenvalues"/> on <paramref name="a"/> rounded to float32 (sgemm + ssyevd).</summary>
    [LibraryImport(Library, EntryPoint = "ww_sgram_eigvals")]
    public static partial NativeStatus SGramEigenvalues(int m, int n, ReadOnlySpan<double> a, Span<double> w);

    /// <summary>c = alpha op(x) op(y) + beta c (MathNet's <c>d_matrix_multiply</c>; op by CBLAS code, 111 none, 112 transpose).</summary>
    [LibraryImport(Library, EntryPoint = "d_matrix_multiply")]
    public static partial void DMatrixMultiply(int transA, int transB, int m, int n, int k, double alpha, ReadOnlySpan<double> x, ReadOnlySpan<double> y, double beta, Span<double> c);

    /// <summary>Loads the library once; null when it is missing or unusable, with the reason.</summary>
    public static readonly Lazy<string?> LoadError = new(() =>
    {
        if (string.Equals(Environment.GetEnvironmentVariable(OpenBlasSpectralBackend.DisableVariable), "off", StringComparison.OrdinalIgnoreCase))
        {
            return $"{OpenBlasSpectralBackend.DisableVariable}=off is set";
        }
        try
        {
            int revision = Revision();
            if (QueryCapability(0) != 0 || QueryCapability(1) != -1 || QueryCapability(128) != 1)
            {
                return "libMathNetNumericsOpenBLAS.so failed the capability handshake";
            }
            if (revision < RequiredRevision)
            {
                return $"libMathNetNumericsOpenBLAS.so is revision {revision}, this build needs {RequiredRevision} (rebuild it: dotnet cake --target=Native)";
            }
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            if (!File.Exists(Path.Combine(AppContext.BaseDirectory, Library + ".so")))
            {
                return $"the native provider {Library}.so was not built (Debian's libopenblas-dev and liblapacke-dev were missing when ww was built)";
            }
            return $"{Library}.so does not load ({LoaderDetail(e.Message)})";
        }
    });

    /// <summary>
    /// The dynamic loader's own words in .NET's message (e.g. "libopenblas.so.0: cannot open shared object
    /// file"): of the paths .NET tried, the one that exists and failed, not those where nothing was found.
    /// </summary>
    private static string LoaderDetail(string message)
    {
        const string marker = "LD_DEBUG environment variable:";
        int at = message.IndexOf(marker, StringComparison.Ordinal);
        var lines = (at >= 0 ? message[(at + marker.Length)..] : message)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.FirstOrDefault(l => !l.Contains(Library + ".so: cannot open shared object file", StringComparison.Ordinal))
            ?? lines.FirstOrDefault()
            ?? message.Split('\n')[0];
    }
}
