namespace WeightWatcher.Core.Spectral.Kernels;

/// <summary>Who decided the OpenBLAS kernel family of this process.</summary>
public enum KernelSource
{
    /// <summary>Nobody: OpenBLAS detects the CPU itself (ww found nothing to improve, or did not look).</summary>
    OpenBlas,

    /// <summary><c>OPENBLAS_CORETYPE</c> was set by the user or the environment: always respected.</summary>
    Environment,

    /// <summary>ww chose the family because OpenBLAS's own pick was generic on a CPU with wider vector units.</summary>
    Chosen,
}

/// <summary>
/// The kernel family decided before OpenBLAS loaded, and why. <see cref="Family"/> is what was asked
/// for (null: OpenBLAS's own pick); <see cref="OpenBlasKernel.Loaded"/> says what OpenBLAS then runs.
/// </summary>
/// <param name="Family">The requested family (the <c>OPENBLAS_CORETYPE</c> value), or null.</param>
/// <param name="Source">Who decided.</param>
/// <param name="Detected">What OpenBLAS picks by itself on this CPU, when probed (null when not).</param>
/// <param name="Reason">One sentence: what was detected, what was chosen and why.</param>
public sealed record KernelChoice(string? Family, KernelSource Source, string? Detected, string Reason)
{
    /// <summary>The decision when <c>OPENBLAS_CORETYPE</c> is set, or OpenBLAS's own pick when it is not and nobody chose.</summary>
    public static KernelChoice FromEnvironment() =>
        OpenBlasKernel.EnvironmentValue is { } set
            ? new KernelChoice(set, KernelSource.Environment, null, $"OPENBLAS_CORETYPE={set} is set in the environment, and a set value always wins")
            : new KernelChoice(null, KernelSource.OpenBlas, null, "OpenBLAS's own detection (ww did not look for a better family)");

    /// <summary>A short label: "set by OPENBLAS_CORETYPE", "chosen by ww" or "OpenBLAS's own choice".</summary>
    public string SourceLabel => Label(Source);

    /// <summary>The label of <paramref name="source"/>.</summary>
    public static string Label(KernelSource source) => source switch
    {
        KernelSource.Environment => "set by OPENBLAS_CORETYPE",
        KernelSource.Chosen => "chosen by ww",
        _ => "OpenBLAS's own choice",
    };
}
