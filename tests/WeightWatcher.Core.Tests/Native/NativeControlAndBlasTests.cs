using System.Runtime.InteropServices;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Native;

/// <summary>
/// The handshake, control and BLAS entry points of libMathNetNumericsOpenBLAS.so, called through
/// <see cref="OpenBlasNative"/> (and <see cref="NativeTestImports"/> for what it does not declare). In the
/// global-state collection because the thread-count test changes OpenBLAS's process-wide setting.
/// </summary>
[Collection(NativeGlobalStateCollection.Name)]
public sealed class NativeControlAndBlasTests
{
    [Fact]
    public void Capability_handshake_matches_what_MathNet_expects()
    {
        Backends.RequireNative();
        Assert.Equal(0, OpenBlasNative.QueryCapability(0));
        Assert.Equal(-1, OpenBlasNative.QueryCapability(1));
        int revision = OpenBlasNative.Revision();
        Assert.True(revision >= 1, $"ww_revision() = {revision}");
        Assert.Equal(revision, OpenBlasNative.QueryCapability(64));
        Assert.Equal(1, OpenBlasNative.QueryCapability(128));
        Assert.Equal(0, OpenBlasNative.QueryCapability(12345));
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            Assert.Equal(1, OpenBlasNative.QueryCapability(9));
            Assert.Equal(0, OpenBlasNative.QueryCapability(8));
        }
    }

    [Fact]
    public void Build_config_cpu_core_and_parallel_type_describe_OpenBlas()
    {
        Backends.RequireNative();
        string? config = OpenBlasNative.BuildConfig();
        string? core = OpenBlasNative.CpuCore();
        int parallel = NativeTestImports.ParallelType();
        TestContext.Current.SendDiagnosticMessage($"OpenBLAS config '{config}', core '{core}', parallel type {parallel}");
        Assert.NotNull(config);
        Assert.Contains("OpenBLAS", config, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(core));
        Assert.InRange(parallel, 0, 2); // MathNet's ParallelType: 0 sequential, 1 pthreads, 2 OpenMP
        Assert.Equal(config, OpenBlasSpectralBackend.BuildConfig);
        Assert.Equal(core, OpenBlasSpectralBackend.CpuCore);
    }

    [Fact]
    public void String_returns_can_be_freed_by_the_caller_as_MathNet_does()
    {
        Backends.RequireNative();
        // MathNet's SafeNativeMethods return `string`, so .NET frees each returned pointer: a static
        // OpenBLAS buffer handed out here aborts the whole process ("free(): invalid pointer").
        string? expectedConfig = OpenBlasSpectralBackend.BuildConfig;
        string? expectedCore = OpenBlasSpectralBackend.CpuCore;
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expectedConfig, NativeTestImports.BuildConfigAsMathNetDeclaresIt());
            Assert.Equal(expectedCore, NativeTestImports.CpuCoreAsMathNetDeclaresIt());
        }
    }

    [Fact]
    public void Thread_count_round_trips_through_the_one_setter()
    {
        Backends.RequireNative();
        int previous = OpenBlasNative.GetNumThreads();
        Assert.True(previous >= 1, $"ww_get_num_threads() = {previous}");
        try
        {
            OpenBlasNative.SetNumThreads(1);
            Assert.Equal(1, OpenBlasNative.GetNumThreads());
            Assert.Equal(1, OpenBlasSpectralBackend.Threads);

            OpenBlasSpectralBackend.Threads = previous;
            Assert.Equal(previous, OpenBlasNative.GetNumThreads());

            // A computation still works single-threaded.
            OpenBlasNative.SetNumThreads(1);
            var m = NativeTestData.Random(40, 30, 5);
            Assert.Equal(NativeTestData.ManagedValues(m)[0], new OpenBlasSpectralBackend().SingularValues(m).Max(), 1e-12);
        }
        finally
        {
            OpenBlasNative.SetNumThreads(previous);
        }
        Assert.Equal(previous, OpenBlasNative.GetNumThreads());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Dot_products_match_the_loop(int n)
    {
        Backends.RequireNative();
        var x = NativeTestData.Gaussian(11 + n, n);
        var y = NativeTestData.Gaussian(12 + n, n);
        double expected = 0;
        double scale = 0;
        for (int i = 0; i < n; i++)
        {
            expected += x[i] * y[i];
            scale += Math.Abs(x[i] * y[i]);
        }
        double d = NativeTestImports.DDot(x, y);
        Assert.True(Math.Abs(d - expected) <= 1e-14 * Math.Max(scale, 1), $"d_dot_product({n}) = {d:R}, loop {expected:R}");

        float s = NativeTestImports.SDot(NativeTestData.ToSingle(x), NativeTestData.ToSingle(y));
        Assert.True(Math.Abs(s - expected) <= 1e-5 * Math.Max(scale, 1), $"s_dot_product({n}) = {s:R}, loop {expected:R}");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Matrix_multiply_matches_the_triple_loop_for_every_transpose_combination(bool transA, bool transB)
    {
        Backends.RequireNative();
        // Distinct m, n, k so a wrong leading dimension or transpose code cannot go unnoticed.
        const int m = 7;
        const int n = 5;
        const int k = 9;
        const double alpha = 1.5;
        const double beta = -0.75;
        var x = NativeTestData.Gaussian(21, m * k); // op(x) is m x k: stored m x k, or k x m when transposed
        var y = NativeTestData.Gaussian(22, k * n); // op(y) is k x n: stored k x n, or n x k when transposed
        var c0 = NativeTestData.Gaussian(23, m * n);
        var product = NativeTestData.Multiply(transA, transB, m, n, k, x, y);
        var expected = product.Select((p, i) => (alpha * p) + (beta * c0[i])).ToArray();
        int codeA = transA ? NativeTestImports.Transpose : NativeTestImports.NoTranspose;
        int codeB = transB ? NativeTestImports.Transpose : NativeTestImports.NoTranspose;

        var c = (double[])c0.Clone();
        OpenBlasNative.DMatrixMultiply(codeA, codeB, m, n, k, alpha, x, y, beta, c);
        double error = NativeTestData.NormwiseDifference(c, expected);
        Assert.True(error <= 1e-14, $"d_matrix_multiply({codeA}, {codeB}): relative difference {error:E2}");

        var cs = NativeTestData.ToSingle(c0);
        NativeTestImports.SGemm(codeA, codeB, m, n, k, (float)alpha, NativeTestData.ToSingle(x), NativeTestData.ToSingle(y), (float)beta, cs);
        double errorSingle = NativeTestData.NormwiseDifference(NativeTestData.ToDouble(cs), expected);
        Assert.True(errorSingle <= 1e-5, $"s_matrix_multiply({codeA}, {codeB}): relative difference {errorSingle:E2}");
    }

    [Fact]
    public void Matrix_multiply_with_zero_beta_ignores_the_old_contents()
    {
        Backends.RequireNative();
        var x = NativeTestData.Gaussian(31, 12);
        var y = NativeTestData.Gaussian(32, 12);
        var c = Enumerable.Repeat(double.NaN, 9).ToArray();
        OpenBlasNative.DMatrixMultiply(NativeTestImports.NoTranspose, NativeTestImports.NoTranspose, 3, 3, 4, 1.0, x, y, 0.0, c);
        var expected = NativeTestData.Multiply(false, false, 3, 3, 4, x, y);
        Assert.True(NativeTestData.NormwiseDifference(c, expected) <= 1e-14, string.Join(", ", c));
    }
}
