using WeightWatcher.Core.Spectral.Kernels;

namespace WeightWatcher.Core.Spectral;

/// <summary>
/// What computes the spectra, for reports and manifests: the provider, OpenBLAS's version, the kernel
/// family it runs and who chose it, and the precision.
/// </summary>
/// <param name="Provider"><c>openblas</c> or <c>managed</c>.</param>
/// <param name="OpenBlasVersion">OpenBLAS's version (null for the managed provider).</param>
/// <param name="KernelFamily">The kernel family OpenBLAS runs (null for the managed provider).</param>
/// <param name="KernelSource">Who chose it: <c>environment</c>, <c>chosen</c> (by ww) or <c>openblas</c> (null for the managed provider).</param>
/// <param name="Precision"><c>double</c> or <c>single</c>.</param>
public sealed record BackendInfo(string Provider, string? OpenBlasVersion, string? KernelFamily, string? KernelSource, string Precision)
{
    /// <summary>The description of <paramref name="backend"/> in this process.</summary>
    public static BackendInfo Of(ISpectralBackend backend) => backend is OpenBlasSpectralBackend native
        ? new BackendInfo("openblas", OpenBlasKernel.Version, OpenBlasKernel.Loaded, OpenBlasKernel.Choice.Source.ToString().ToLowerInvariant(), native.Precision.ToString().ToLowerInvariant())
        : new BackendInfo("managed", null, null, null, "double");

    /// <summary>One line, e.g. "OpenBLAS 0.3.21, SkylakeX kernels (chosen by ww), double".</summary>
    public override string ToString() => Provider == "openblas"
        ? $"OpenBLAS {OpenBlasVersion}, {KernelFamily} kernels ({(Enum.TryParse<KernelSource>(KernelSource, ignoreCase: true, out var s) ? KernelChoice.Label(s) : KernelSource)}), {Precision}"
        : "managed provider (Math.NET), double";
}
