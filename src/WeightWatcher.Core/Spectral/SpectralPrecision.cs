namespace WeightWatcher.Core.Spectral;

/// <summary>Floating-point precision of the spectral computation.</summary>
public enum SpectralPrecision
{
    /// <summary>float64 throughout: the reference's CPU semantics (default).</summary>
    Double,
    /// <summary>float32 LAPACK/BLAS: faster, with an error the benchmark reports.</summary>
    Single,
}
