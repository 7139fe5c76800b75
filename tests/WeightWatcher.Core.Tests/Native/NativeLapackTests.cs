using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Native;

/// <summary>
/// The LAPACK entry points of libMathNetNumericsOpenBLAS.so: MathNet's <c>?_svd_factor</c> and the
/// project's values-only <c>ww_?svd_values</c> and <c>ww_?gram_eigvals</c>, against the managed provider.
/// </summary>
public sealed class NativeLapackTests
{
    public static readonly TheoryData<int, int> Shapes = new()
    {
        { 30, 12 },
        { 12, 30 },
        { 17, 17 },
        { 1, 9 },
        { 9, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_svd_factor_with_vectors_reconstructs_the_matrix(int m, int n)
    {
        Backends.RequireNative();
        var matrix = NativeTestData.Random(m, n, 100 + m + n);
        var a = (double[])matrix.Values.Clone();
        var s = new double[Math.Min(m, n)];
        var u = new double[m * m];
        var vt = new double[n * n];

        Assert.Equal(0, NativeTestImports.DSvdFactor(true, m, n, a, s, u, vt));

        NativeTestData.AssertSorted(s, descending: true, "d_svd_factor values");
        Assert.True(s[^1] >= 0);
        double reconstruction = NativeTestData.NormwiseDifference(NativeTestData.Reconstruct(m, n, s, u, vt), matrix.Values);
        Assert.True(reconstruction <= 1e-12, $"{m}x{n}: |U S V^T - A| / |A| = {reconstruction:E2}");
        double uError = NativeTestData.OrthogonalityError(m, u);
        double vError = NativeTestData.OrthogonalityError(n, vt);
        Assert.True(uError <= 1e-12 && vError <= 1e-12, $"{m}x{n}: U orthogonality {uError:E2}, V^T orthogonality {vError:E2}");
        double values = NativeTestData.NormwiseDifference(s, NativeTestData.ManagedValues(matrix));
        Assert.True(values <= 1e-12, $"{m}x{n}: singular values differ from managed by {values:E2}");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_svd_factor_without_vectors_gives_the_same_values_and_leaves_u_and_v_alone(int m, int n)
    {
        Backends.RequireNative();
        var matrix = NativeTestData.Random(m, n, 200 + m + n);
        var withVectors = new double[Math.Min(m, n)];
        Assert.Equal(0, NativeTestImports.DSvdFactor(true, m, n, (double[])matrix.Values.Clone(), withVectors, new double[m * m], new double[n * n]));

        var s = new double[Math.Min(m, n)];
        var u = Enumerable.Repeat(-7.0, m * m).ToArray();
        var vt = Enumerable.Repeat(-7.0, n * n).ToArray();
        Assert.Equal(0, NativeTestImports.DSvdFactor(false, m, n, (double[])matrix.Values.Clone(), s, u, vt));

        Assert.True(NativeTestData.NormwiseDifference(s, withVectors) <= 1e-13, $"{m}x{n}: values-only {string.Join(", ", s)} vs {string.Join(", ", withVectors)}");
        Assert.All(u, x => Assert.Equal(-7.0, x));
        Assert.All(vt, x => Assert.Equal(-7.0, x));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Single_svd_factor_reconstructs_the_matrix_and_agrees_with_double(int m, int n)
    {
        Backends.RequireNative();
        var matrix = NativeTestData.Random(m, n, 300 + m + n);
        var a = NativeTestData.ToSingle(matrix.Values);
        var s = new float[Math.Min(m, n)];
        var u = new float[m * m];
        var vt = new float[n * n];

        Assert.Equal(0, NativeTestImports.SSvdFactor(true, m, n, a, s, u, vt));

        var sd = NativeTestData.ToDouble(s);
        var ud = NativeTestData.ToDouble(u);
        var vd = NativeTestData.ToDouble(vt);
        double reconstruction = NativeTestData.NormwiseDifference(NativeTestData.Reconstruct(m, n, sd, ud, vd), matrix.Values);
        Assert.True(reconstruction <= 1e-5, $"{m}x{n}: single |U S V^T - A| / |A| = {reconstruction:E2}");
        Assert.True(NativeTestData.OrthogonalityError(m, ud) <= 1e-5 && NativeTestData.OrthogonalityError(n, vd) <= 1e-5, $"{m}x{n}: single U or V^T not orthogonal");
        double values = NativeTestData.NormwiseDifference(sd, NativeTestData.ManagedValues(matrix));
        Assert.True(values <= 1e-5, $"{m}x{n}: single singular values differ from managed by {values:E2}");

        var valuesOnly = new float[Math.Min(m, n)];
        Assert.Equal(0, NativeTestImports.SSvdFactor(false, m, n, NativeTestData.ToSingle(matrix.Values), valuesOnly, new float[m * m], new float[n * n]));
        Assert.True(NativeTestData.NormwiseDifference(NativeTestData.ToDouble(valuesOnly), sd) <= 1e-6);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Values_only_svd_matches_the_managed_provider(int m, int n)
    {
        Backends.RequireNative();
        var matrix = NativeTestData.Random(m, n, 400 + m + n);
        var managed = NativeTestData.ManagedValues(matrix);

        var original = (double[])matrix.Values.Clone();
        var s = new double[matrix.MinDim];
        Assert.Equal(NativeStatus.Ok, OpenBlasNative.DSvdValues(m, n, matrix.Values, s));
        Assert.Equal(original, matrix.Values); // the input is const: the native side works on a copy
        var relative = NativeTestData.RelativeDifferences(s, managed);
        Assert.True(relative.Max() <= 1e-12, $"{m}x{n}: ww_dsvd_values differs from managed by {relative.Max():E2} relative");

        var s32 = new double[matrix.MinDim];
        Assert.Equal(NativeStatus.Ok, OpenBlasNative.SSvdValues(m, n, matrix.Values, s32));
        Assert.Equal(original, matrix.Values);
        Assert.All(s32, v => Assert.Equal((float)v, v)); // computed in float32, widened
        double single = NativeTestData.NormwiseDifference(s32, managed);
        Assert.True(single <= 1e-5, $"{m}x{n}: ww_ssvd_values differs from managed by {single:E2}");
    }

    [Theory]
    [InlineData(60, 20)]
    [InlineData(20, 60)]
    [InlineData(25, 25)]
    [InlineData(1, 40)]
    [InlineData(40, 1)]
    [InlineData(700, 300)] // k = 300: several 128-wide Gram tiles, off-diagonal ones included
    [InlineData(300, 700)]
    public void Gram_eigenvalues_are_the_ascending_squared_singular_values(int m, int n)
    {
        Backends.RequireNative();
        var matrix = NativeTestData.Random(m, n, 500 + m + n);
        var squared = NativeTestData.ManagedValues(matrix).Select(v => v * v).Reverse().ToArray();
        var original = (double[])matrix.Values.Clone();

        var w = new double[matrix.MinDim];
        Assert.Equal(NativeStatus.Ok, OpenBlasNative.DGramEigenvalues(m, n, matrix.Values, w));
        Assert.Equal(original, matrix.Values); // the input is const
        NativeTestData.AssertSorted(w, descending: false, $"{m}x{n} ww_dgram_eigvals");
        // syevd's eigenvalues carry an absolute error of order eps * lambda_max.
        double error = NativeTestData.NormwiseDifference(w, squared);
        Assert.True(error <= 1e-12, $"{m}x{n}: ww_dgram_eigvals differs from s^2 by {error:E2} of lambda_max");

        var w32d = new double[matrix.MinDim];
        Assert.Equal(NativeStatus.Ok, OpenBlasNative.SGramEigenvalues(m, n, matrix.Values, w32d));
        Assert.Equal(original, matrix.Values);
        Assert.All(w32d, v => Assert.Equal((float)v, v)); // computed in float32, widened
        NativeTestData.AssertSorted(w32d, descending: false, $"{m}x{n} ww_sgram_eigvals");
        double errorSingle = NativeTestData.NormwiseDifference(w32d, squared);
        Assert.True(errorSingle <= 1e-5, $"{m}x{n}: ww_sgram_eigvals differs from s^2 by {errorSingle:E2} of lambda_max");
    }

    [Fact]
    public void Larger_matrices_still_agree_with_the_managed_provider()
    {
        Backends.RequireNative();
        // Large enough for blocked LAPACK code paths and multi-threaded BLAS kernels.
        var matrix = NativeTestData.Random(400, 150, 600);
        var managed = NativeTestData.ManagedValues(matrix);
        var s = new double[150];
        Assert.Equal(NativeStatus.Ok, OpenBlasNative.DSvdValues(400, 150, (double[])matrix.Values.Clone(), s));
        Assert.True(NativeTestData.RelativeDifferences(s, managed).Max() <= 1e-12);
        var w = new double[150];
        Assert.Equal(NativeStatus.Ok, OpenBlasNative.DGramEigenvalues(400, 150, matrix.Values, w));
        Assert.True(NativeTestData.NormwiseDifference(w, managed.Select(v => v * v).Reverse().ToArray()) <= 1e-12);
    }

    [Theory]
    [InlineData(0, 6)]
    [InlineData(6, 0)]
    [InlineData(0, 0)]
    public void Empty_matrices_succeed_with_nothing_to_compute(int m, int n)
    {
        Backends.RequireNative();
        // LAPACK rejects a leading dimension of 0, so the entry points must pass at least 1.
        var none = Array.Empty<double>();
        var noneSingle = Array.Empty<float>();
        var one = new double[1];
        var oneSingle = new float[1];
        Assert.Equal(NativeStatus.Ok, OpenBlasNative.DSvdValues(m, n, one, none));
        Assert.Equal(NativeStatus.Ok, OpenBlasNative.SSvdValues(m, n, one, none));
        Assert.Equal(NativeStatus.Ok, OpenBlasNative.DGramEigenvalues(m, n, one, none));
        Assert.Equal(NativeStatus.Ok, OpenBlasNative.SGramEigenvalues(m, n, one, none));
        Assert.Equal(0, NativeTestImports.DSvdFactor(false, m, n, one, none, new double[1], new double[1]));
        Assert.Equal(0, NativeTestImports.DSvdFactor(true, m, n, one, none, new double[Math.Max(1, m * m)], new double[Math.Max(1, n * n)]));
        Assert.Equal(0, NativeTestImports.SSvdFactor(true, m, n, oneSingle, noneSingle, new float[Math.Max(1, m * m)], new float[Math.Max(1, n * n)]));
    }

    [Fact]
    public void A_work_copy_larger_than_the_kept_scratch_is_mapped_for_the_call_alone()
    {
        Backends.RequireNative();
        // 2 x 17,000,000: a 272 MB work copy, above the 256 MB a thread keeps between calls (scratch.h), yet
        // cheap for gesdd (an LQ step, then a 2 x 2 problem). Its singular values are those of the 2 x 2
        // Gram matrix [[p, r], [r, q]], known in closed form.
        const int n = 17_000_000;
        var random = new Random(17);
        var a = new double[2 * n];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = random.NextDouble() - 0.5;
        }
        double p = 0, q = 0, r = 0;
        for (int j = 0; j < n; j++)
        {
            p += a[2 * j] * a[2 * j];
            q += a[(2 * j) + 1] * a[(2 * j) + 1];
            r += a[2 * j] * a[(2 * j) + 1];
        }
        double mean = (p + q) / 2, half = Math.Sqrt((((p - q) / 2) * ((p - q) / 2)) + (r * r));
        var expected = new[] { Math.Sqrt(mean + half), Math.Sqrt(mean - half) };
        for (int call = 0; call < 2; call++) // the region is released after each call: a second call works the same
        {
            var s = new double[2];
            Assert.Equal(NativeStatus.Ok, OpenBlasNative.DSvdValues(2, n, a, s));
            Assert.True(NativeTestData.RelativeDifferences(s, expected).Max() <= 1e-9, $"call {call}: {s[0]}, {s[1]} vs {expected[0]}, {expected[1]}");
        }
        // A small call afterwards uses the thread's kept region again.
        var small = NativeTestData.Random(30, 20, 5);
        var values = new double[20];
        Assert.Equal(NativeStatus.Ok, OpenBlasNative.DSvdValues(30, 20, small.Values, values));
        Assert.True(NativeTestData.RelativeDifferences(values, NativeTestData.ManagedValues(small)).Max() <= 1e-12);
    }

    [Fact]
    public void Non_finite_input_is_reported_as_an_error_code()
    {
        Backends.RequireNative();
        var a = NativeTestData.Gaussian(700, 20);
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            a[7] = bad;
            Assert.Equal(NativeStatus.NonFinite, OpenBlasNative.DSvdValues(5, 4, a, new double[4]));
            Assert.Equal(NativeStatus.NonFinite, OpenBlasNative.DGramEigenvalues(5, 4, a, new double[4]));
            Assert.Equal(NativeStatus.NonFinite, OpenBlasNative.SSvdValues(5, 4, a, new double[4]));
            Assert.Equal(NativeStatus.NonFinite, OpenBlasNative.SGramEigenvalues(5, 4, a, new double[4]));
        }
        // Finite in double, infinite once rounded to float32: the single-precision copy says so.
        a[7] = 1e300;
        Assert.Equal(NativeStatus.NonFinite, OpenBlasNative.SSvdValues(5, 4, a, new double[4]));
        Assert.Equal(NativeStatus.NonFinite, OpenBlasNative.SGramEigenvalues(5, 4, a, new double[4]));
    }
}
