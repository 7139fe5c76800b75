using MathNet.Numerics.Providers.LinearAlgebra;

namespace WeightWatcher.Core.Spectral;

/// <summary>
/// Singular values through Math.NET's managed (pure C#) linear algebra provider, called directly so the
/// process-wide provider choice (<c>Control.UseNativeOpenBLAS</c>) does not change what runs here. It is a
/// backward-stable Golub-Kahan SVD, so its values agree with LAPACK's <c>gesdd</c> to about 1e-13
/// relative, but it is slow and allocates U and V^T even for values only; it is the fallback when the
/// native provider is missing.
/// </summary>
public sealed class ManagedSpectralBackend : ISpectralBackend
{
    /// <summary>A shared instance (the backend is stateless).</summary>
    public static ManagedSpectralBackend Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "managed (Math.NET Numerics)";

    /// <inheritdoc />
    public double[] SingularValues(WeightMatrix matrix)
    {
        if (matrix.Rows == 0 || matrix.Cols == 0)
        {
            return [];
        }
        var a = matrix.Elements.ToArray();
        var s = new double[matrix.MinDim];
        var u = new double[(long)matrix.Rows * matrix.Rows];
        var vt = new double[(long)matrix.Cols * matrix.Cols];
        ManagedLinearAlgebraProvider.Instance.SingularValueDecomposition(false, a, matrix.Rows, matrix.Cols, s, u, vt);
        return s;
    }
}
