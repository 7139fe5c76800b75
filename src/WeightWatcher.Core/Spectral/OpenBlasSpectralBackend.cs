namespace WeightWatcher.Core.Spectral;

/// <summary>
/// Singular values through OpenBLAS/LAPACK (the native provider). In double precision it takes the
/// cheaper route when that route is exact enough: the eigenvalues of the smaller Gram matrix
/// (<c>syrk</c> + <c>syevd</c>, about a third of the operations of an SVD and mostly BLAS-3). Those carry
/// an absolute error near eps * lambda_max, so a matrix whose smallest eigenvalue is below
/// <see cref="GramConditionLimit"/> * lambda_max (where the digits that <c>matrix_rank</c>, <c>entropy</c>,
/// small xmin values and the 1e-5 fit threshold depend on would be lost), or with an eigenvalue within
/// 1e-6 relative of that threshold, is recomputed with the divide-and-conquer SVD (<c>gesdd</c>, values only).
/// </summary>
public sealed class OpenBlasSpectralBackend : ISpectralBackend
{
    /// <summary>Default smallest lambda_min / lambda_max for which the Gram route is trusted in double precision (relative error ~ 1e-11 there).</summary>
    public const double DefaultGramConditionLimit = 1e-4;

    /// <summary>The same limit in single precision, where eps is 6e-8: keeps the smallest eigenvalues within ~1e-5.</summary>
    public const double SingleGramConditionLimit = 1e-2;

    /// <summary>Environment variable that, set to <c>off</c>, keeps the native provider unloaded: the managed provider runs (same numbers, far slower).</summary>
    public const string DisableVariable = "WW_NATIVE";

    private const double FitThreshold = 1e-5;
    private long _gramCount;
    private long _svdCount;
    private long _gramRejectedCount;

    /// <summary>Creates the backend; throws when the native library cannot be loaded.</summary>
    /// <param name="precision">Double (reference semantics) or single precision.</param>
    /// <param name="useGramRoute">False forces <c>gesdd</c> for every matrix.</param>
    /// <param name="gramConditionLimit">See <see cref="GramConditionLimit"/>; default by precision.</param>
    public OpenBlasSpectralBackend(SpectralPrecision precision = SpectralPrecision.Double, bool useGramRoute = true, double? gramConditionLimit = null)
    {
        if (OpenBlasNative.LoadError.Value is { } error)
        {
            throw new InvalidOperationException(error);
        }
        Precision = precision;
        UseGramRoute = useGramRoute;
        GramConditionLimit = gramConditionLimit ?? (precision == SpectralPrecision.Double ? DefaultGramConditionLimit : SingleGramConditionLimit);
    }

    /// <summary>True when the native library loads and passes its handshake.</summary>
    public static bool IsAvailable => OpenBlasNative.LoadError.Value is null;

    /// <summary>Why the native library is unavailable, or null.</summary>
    public static string? UnavailableReason => OpenBlasNative.LoadError.Value;

    /// <summary>OpenBLAS's build configuration string (version, core, threading).</summary>
    public static string? BuildConfig => IsAvailable ? OpenBlasNative.BuildConfig() : null;

    /// <summary>The CPU kernel OpenBLAS selected (e.g. Haswell).</summary>
    public static string? CpuCore => IsAvailable ? OpenBlasNative.CpuCore() : null;

    /// <summary>Threads one OpenBLAS call may use.</summary>
    public static int Threads
    {
        get => IsAvailable ? OpenBlasNative.GetNumThreads() : 0;
        set
        {
            if (IsAvailable)
            {
                OpenBlasNative.SetNumThreads(value);
            }
        }
    }

    /// <summary>The precision in use.</summary>
    public SpectralPrecision Precision { get; }

    /// <summary>Whether well-conditioned matrices take the Gram route.</summary>
    public bool UseGramRoute { get; }

    /// <summary>Smallest lambda_min / lambda_max for which the Gram route is trusted.</summary>
    public double GramConditionLimit { get; }

    /// <summary>Matrices computed by the Gram route so far.</summary>
    public long GramRouteCount => Interlocked.Read(ref _gramCount);

    /// <summary>Gram matrices computed and then rejected as ill-conditioned (work thrown away) so far.</summary>
    public long GramRejectedCount => Interlocked.Read(ref _gramRejectedCount);

    /// <summary>Matrices computed by <c>gesdd</c> so far.</summary>
    public long SvdRouteCount => Interlocked.Read(ref _svdCount);

    /// <inheritdoc />
    public string Name => $"OpenBLAS ({CpuCore}, {Precision.ToString().ToLowerInvariant()} precision{(UseGramRoute ? ", Gram route when well-conditioned" : ", gesdd")})";

    /// <inheritdoc />
    public double[] SingularValues(WeightMatrix matrix)
    {
        if (matrix.Rows == 0 || matrix.Cols == 0)
        {
            return [];
        }
        if (UseGramRoute && !SurelyIllConditioned(matrix) && TryGram(matrix) is { } viaGram)
        {
            Interlocked.Increment(ref _gramCount);
            return viaGram;
        }
        Interlocked.Increment(ref _svdCount);
        return Svd(matrix);
    }

    /// <summary>
    /// True when the Gram route would be computed only to be rejected: for an N x M matrix the
    /// Marchenko-Pastur edges give lambda_min / lambda_max ~ ((1 - 1/sqrt(Q)) / (1 + 1/sqrt(Q)))^2 with
    /// Q = N / M, which tends to 0 as Q -> 1. Square-ish matrices (all of GPT-2's attention projections)
    /// go straight to gesdd instead of paying for a Gram matrix and an eigensolve first. Only the route
    /// changes: any matrix may still take gesdd, and a Gram result is still checked as before.
    /// </summary>
    private bool SurelyIllConditioned(WeightMatrix m)
    {
        double q = Math.Sqrt((double)m.MinDim / Math.Max(m.Rows, m.Cols));
        double edgeRatio = (1 - q) / (1 + q);
        // Half the limit as margin: trained weights spread wider than random ones, never narrower.
        return edgeRatio * edgeRatio < GramConditionLimit / 2;
    }

    private double[]? TryGram(WeightMatrix m)
    {
        int k = m.MinDim;
        var w = new double[k];
        var status = Precision == SpectralPrecision.Double
            ? OpenBlasNative.DGramEigenvalues(m.Rows, m.Cols, m.Elements, w)
            : OpenBlasNative.SGramEigenvalues(m.Rows, m.Cols, m.Elements, w);
        if (status != NativeStatus.Ok)
        {
            return null;
        }
        double max = w[k - 1];
        if (!(max > 0) || w[0] < GramConditionLimit * max)
        {
            Interlocked.Increment(ref _gramRejectedCount);
            return null;
        }
        foreach (var v in w)
        {
            if (Math.Abs(v - FitThreshold) <= 1e-6 * FitThreshold)
            {
                return null;
            }
        }
        var s = new double[k];
        for (int i = 0; i < k; i++)
        {
            s[i] = Math.Sqrt(w[i]);
        }
        return s;
    }

    /// <summary>
    /// <c>?gesdd</c> without vectors. The native side works on a copy in its per-thread scratch memory (in
    /// single precision a float32 copy), so the matrix is neither modified nor cloned here.
    /// </summary>
    private double[] Svd(WeightMatrix m)
    {
        var s = new double[m.MinDim];
        var status = Precision == SpectralPrecision.Double
            ? OpenBlasNative.DSvdValues(m.Rows, m.Cols, m.Elements, s)
            : OpenBlasNative.SSvdValues(m.Rows, m.Cols, m.Elements, s);
        status.ThrowIfFailed(Precision == SpectralPrecision.Double ? "dgesdd" : "sgesdd");
        return s;
    }
}
