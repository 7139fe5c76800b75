namespace WeightWatcher.Core.Spectral;

/// <summary>Chooses the spectral backend: OpenBLAS when its native library loads, else the managed one.</summary>
public static class SpectralBackends
{
    /// <summary>
    /// The best available backend for <paramref name="precision"/>. <paramref name="warning"/> explains a
    /// fallback to the managed provider (null when OpenBLAS is used). The managed provider is double only.
    /// </summary>
    public static ISpectralBackend Create(SpectralPrecision precision, out string? warning)
    {
        if (OpenBlasSpectralBackend.IsAvailable)
        {
            warning = null;
            return new OpenBlasSpectralBackend(precision);
        }
        warning = $"native OpenBLAS provider unavailable: {OpenBlasSpectralBackend.UnavailableReason}; using the managed provider (much slower"
            + (precision == SpectralPrecision.Single ? ", and double precision" : "") + ")";
        return ManagedSpectralBackend.Instance;
    }
}
