namespace WeightWatcher.Core.Spectral;

/// <summary>Computes singular values of a real matrix in double precision. Implementations must be thread-safe.</summary>
public interface ISpectralBackend
{
    /// <summary>Human-readable name (shown by <c>ww info</c> and in logs).</summary>
    string Name { get; }

    /// <summary>All min(rows, cols) singular values of <paramref name="matrix"/>, in any order.</summary>
    double[] SingularValues(WeightMatrix matrix);
}
