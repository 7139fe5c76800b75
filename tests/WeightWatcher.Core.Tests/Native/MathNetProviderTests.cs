using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra.Double;
using MathNet.Numerics.Providers.LinearAlgebra;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Native;

/// <summary>
/// Math.NET itself loads libMathNetNumericsOpenBLAS.so as its OpenBLAS provider (through the
/// MathNet.Numerics.Providers.OpenBLAS package) and its results agree with the managed provider. The
/// provider is process-wide, so these run alone and always switch back to the managed one; loading it
/// also sets OpenBLAS's thread count (MathNet calls set_max_threads), which is restored too.
/// </summary>
[Collection(NativeGlobalStateCollection.Name)]
public sealed class MathNetProviderTests : IDisposable
{
    private readonly int _threads = OpenBlasSpectralBackend.Threads;

    public void Dispose()
    {
        Control.UseManaged();
        OpenBlasSpectralBackend.Threads = _threads;
    }

    [Fact]
    public void MathNet_accepts_our_library_as_its_OpenBlas_provider()
    {
        Backends.RequireNative();
        try
        {
            Assert.True(Control.TryUseNativeOpenBLAS(), "Control.TryUseNativeOpenBLAS() refused libMathNetNumericsOpenBLAS.so");
            var provider = LinearAlgebraControl.Provider;
            // ToString() marshals get_cpu_core and get_build_config as strings, which .NET frees afterwards.
            string description = provider.ToString() ?? "";
            TestContext.Current.SendDiagnosticMessage($"MathNet provider {provider.GetType().FullName}: {description.ReplaceLineEndings(" | ")}");
            Assert.Contains("OpenBLAS", description, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("OpenBlas", provider.GetType().FullName, StringComparison.OrdinalIgnoreCase);
            // A second description exercises the string returns again (a freed static buffer would crash here).
            Assert.Equal(description, provider.ToString());
            Assert.Contains("OpenBLAS", Control.Describe(), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            Control.UseManaged();
        }
        Assert.IsType<ManagedLinearAlgebraProvider>(LinearAlgebraControl.Provider);
    }

    [Fact]
    public void MathNet_multiply_and_dot_agree_with_the_managed_provider()
    {
        Backends.RequireNative();
        var a = new DenseMatrix(7, 9, NativeTestData.Gaussian(801, 63));
        var b = new DenseMatrix(9, 5, NativeTestData.Gaussian(802, 45));
        var bt = new DenseMatrix(5, 9, NativeTestData.Gaussian(803, 45));
        var at = new DenseMatrix(9, 7, NativeTestData.Gaussian(804, 63));
        Control.UseManaged();
        var expected = new[] { (a * b).ToColumnMajorArray(), a.TransposeAndMultiply(bt).ToColumnMajorArray(), at.TransposeThisAndMultiply(b).ToColumnMajorArray() };
        var expectedTT = NativeTestData.Multiply(true, true, 7, 5, 9, at.Values, bt.Values);
        double expectedDot = a.Column(0).DotProduct(at.Row(0));
        try
        {
            Assert.True(Control.TryUseNativeOpenBLAS());
            var actual = new[] { (a * b).ToColumnMajorArray(), a.TransposeAndMultiply(bt).ToColumnMajorArray(), at.TransposeThisAndMultiply(b).ToColumnMajorArray() };
            var tt = new double[35];
            LinearAlgebraControl.Provider.MatrixMultiplyWithUpdate(Transpose.Transpose, Transpose.Transpose, 1.0, at.Values, 9, 7, bt.Values, 5, 9, 0.0, tt);
            double dot = a.Column(0).DotProduct(at.Row(0));

            string[] names = ["A B", "A B^T", "A^T B"];
            for (int i = 0; i < actual.Length; i++)
            {
                double error = NativeTestData.NormwiseDifference(actual[i], expected[i]);
                Assert.True(error <= 1e-14, $"{names[i]} through the native provider differs by {error:E2}");
            }
            Assert.True(NativeTestData.NormwiseDifference(tt, expectedTT) <= 1e-14, "A^T B^T through the native provider");
            Assert.Equal(expectedDot, dot, 1e-13);
        }
        finally
        {
            Control.UseManaged();
        }
    }

    [Theory]
    [InlineData(40, 15)]
    [InlineData(15, 40)]
    [InlineData(20, 20)]
    public void MathNet_svd_agrees_with_the_managed_provider(int m, int n)
    {
        Backends.RequireNative();
        var matrix = new DenseMatrix(m, n, NativeTestData.Gaussian(900 + m + n, m * n));
        Control.UseManaged();
        var managed = matrix.Svd(computeVectors: true);
        var managedS = managed.S.ToArray();
        var managedU = managed.U.ToColumnMajorArray();
        var managedVt = managed.VT.ToColumnMajorArray();
        double[] s;
        double[] valuesOnly;
        double[] u;
        double[] vt;
        try
        {
            Assert.True(Control.TryUseNativeOpenBLAS());
            var native = matrix.Svd(computeVectors: true);
            s = native.S.ToArray();
            u = native.U.ToColumnMajorArray();
            vt = native.VT.ToColumnMajorArray();
            valuesOnly = matrix.Svd(computeVectors: false).S.ToArray();
        }
        finally
        {
            Control.UseManaged();
        }

        var relative = NativeTestData.RelativeDifferences(s, managedS);
        TestContext.Current.SendDiagnosticMessage($"MathNet Svd {m}x{n}: native vs managed singular values, max relative difference {relative.Max():E2}");
        Assert.True(relative[0] <= 1e-12 && relative.Max() <= 1e-10, $"{m}x{n}: singular values differ by {relative.Max():E2}");
        Assert.True(NativeTestData.NormwiseDifference(valuesOnly, managedS) <= 1e-12, $"{m}x{n}: values-only Svd differs");
        Assert.Equal(m * m, u.Length);
        Assert.Equal(n * n, vt.Length);
        double reconstruction = NativeTestData.NormwiseDifference(NativeTestData.Reconstruct(m, n, s, u, vt), matrix.Values);
        Assert.True(reconstruction <= 1e-12, $"{m}x{n}: native U S V^T differs from A by {reconstruction:E2}");

        // The singular vectors of distinct singular values are unique up to sign.
        for (int p = 0; p < s.Length; p++)
        {
            Assert.True(VectorsAgreeUpToSign(u, managedU, m, p, column: true), $"{m}x{n}: left singular vector {p} differs");
            Assert.True(VectorsAgreeUpToSign(vt, managedVt, n, p, column: false), $"{m}x{n}: right singular vector {p} differs");
        }
    }

    private static bool VectorsAgreeUpToSign(double[] x, double[] y, int size, int index, bool column)
    {
        double dot = 0;
        for (int i = 0; i < size; i++)
        {
            int at = column ? i + (index * size) : index + (i * size);
            dot += x[at] * y[at];
        }
        return Math.Abs(Math.Abs(dot) - 1.0) <= 1e-10;
    }
}
