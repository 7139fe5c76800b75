using System.Runtime.InteropServices;

namespace WeightWatcher.Core.Spectral;

/// <summary>
/// Entry points of <c>libMathNetNumericsOpenBLAS.so</c> (src/WeightWatcher.Native): MathNet's provider ABI
/// subset and the project's values-only spectral functions. Matrices are column-major.
/// </summary>
internal static unsafe partial class OpenBlasNative
{
    public const string Library = "libMathNetNumericsOpenBLAS";

    [LibraryImport(Library, EntryPoint = "ww_revision")]
    public static partial int Revision();

    [LibraryImport(Library, EntryPoint = "query_capability")]
    public static partial int QueryCapability(int capability);

    // The native side returns heap copies; the UTF-8 marshaller frees them after reading.
    [LibraryImport(Library, EntryPoint = "get_build_config", StringMarshalling = StringMarshalling.Utf8)]
    public static partial string? BuildConfig();

    [LibraryImport(Library, EntryPoint = "get_cpu_core", StringMarshalling = StringMarshalling.Utf8)]
    public static partial string? CpuCore();

    [LibraryImport(Library, EntryPoint = "get_parallel_type")]
    public static partial int ParallelType();

    [LibraryImport(Library, EntryPoint = "ww_get_num_threads")]
    public static partial int GetNumThreads();

    [LibraryImport(Library, EntryPoint = "ww_set_num_threads")]
    public static partial void SetNumThreads(int n);

    /// <summary>Revision of the spectral entry points this code calls (2: const double input in both precisions).</summary>
    public const int RequiredRevision = 2;

    /// <summary>Return code of the spectral entry points for an input holding NaN or an infinity.</summary>
    public const int NonFinite = -1001;

    /// <summary>Return code of the spectral entry points when scratch memory cannot be had.</summary>
    public const int NoMemory = -1000;

    [LibraryImport(Library, EntryPoint = "ww_dsvd_values")]
    public static partial int DSvdValues(int m, int n, double* a, double* s);

    [LibraryImport(Library, EntryPoint = "ww_ssvd_values")]
    public static partial int SSvdValues(int m, int n, double* a, double* s);

    [LibraryImport(Library, EntryPoint = "ww_dgram_eigvals")]
    public static partial int DGramEigenvalues(int m, int n, double* a, double* w);

    [LibraryImport(Library, EntryPoint = "ww_sgram_eigvals")]
    public static partial int SGramEigenvalues(int m, int n, double* a, double* w);

    [LibraryImport(Library, EntryPoint = "d_matrix_multiply")]
    public static partial void DMatrixMultiply(int transA, int transB, int m, int n, int k, double alpha, double* x, double* y, double beta, double* c);

    [LibraryImport(Library, EntryPoint = "d_svd_factor")]
    public static partial int DSvdFactor(int computeVectors, int m, int n, double* a, double* s, double* u, double* v);

    [LibraryImport(Library, EntryPoint = "s_svd_factor")]
    public static partial int SSvdFactor(int computeVectors, int m, int n, float* a, float* s, float* u, float* v);

    [LibraryImport(Library, EntryPoint = "d_dot_product")]
    public static partial double DDot(int n, double* x, double* y);

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
