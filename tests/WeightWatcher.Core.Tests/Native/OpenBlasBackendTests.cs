using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Native;

/// <summary>
/// <see cref="OpenBlasSpectralBackend"/> against the managed provider, and its route choice: the Gram
/// route for a well-conditioned matrix, <c>gesdd</c> where small singular values would be lost.
/// </summary>
public sealed class OpenBlasBackendTests
{
    public static readonly TheoryData<int, int, bool> Cases = new()
    {
        { 300, 100, true },
        { 100, 300, true },
        { 120, 120, true },
        { 1, 200, true },
        { 200, 1, true },
        { 300, 100, false },
        { 100, 300, false },
        { 120, 120, false },
        { 1, 200, false },
        { 200, 1, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Native_and_managed_agree_on_random_matrices(int rows, int cols, bool useGramRoute)
    {
        Backends.RequireNative();
        var matrix = NativeTestData.Random(rows, cols, 1000 + rows + (7 * cols));
        var backend = new OpenBlasSpectralBackend(useGramRoute: useGramRoute);
        var managed = NativeTestData.ManagedValues(matrix);

        var native = NativeTestData.Descending(backend.SingularValues(matrix));

        Assert.Equal(matrix.MinDim, native.Length);
        Assert.True(native[^1] >= 0, $"negative singular value {native[^1]:R}");
        var relative = NativeTestData.RelativeDifferences(native, managed);
        string route = backend.GramRouteCount == 1 ? "Gram" : "gesdd";
        TestContext.Current.SendDiagnosticMessage(
            $"{NativeTestData.Shape(matrix)} via {route}: native vs managed max relative difference {relative.Max():E2} (largest value {relative[0]:E2}, condition {managed[0] / managed[^1]:G3})");
        Assert.True(relative[0] <= 1e-12, $"{NativeTestData.Shape(matrix)} via {route}: largest value differs by {relative[0]:E2} relative");
        Assert.True(relative.Max() <= 1e-10, $"{NativeTestData.Shape(matrix)} via {route}: values differ by up to {relative.Max():E2} relative");
        Assert.Equal(1, backend.GramRouteCount + backend.SvdRouteCount);
        if (!useGramRoute)
        {
            Assert.Equal(0, backend.GramRouteCount);
        }
    }

    [Theory]
    [InlineData(400, 100)]
    [InlineData(100, 400)]
    public void Well_conditioned_matrix_takes_the_gram_route_and_matches_gesdd(int rows, int cols)
    {
        Backends.RequireNative();
        // Aspect ratio 4: lambda_min / lambda_max is near ((2 - 1) / (2 + 1))^4, far above the 1e-4 limit.
        var matrix = NativeTestData.Random(rows, cols, 2000 + rows);
        var backend = new OpenBlasSpectralBackend();

        var viaBackend = NativeTestData.Descending(backend.SingularValues(matrix));

        Assert.Equal(1, backend.GramRouteCount);
        Assert.Equal(0, backend.SvdRouteCount);
        var bySvd = NativeTestData.Descending(NativeKernels.SvdValues(matrix));
        var relative = NativeTestData.RelativeDifferences(viaBackend, bySvd);
        TestContext.Current.SendDiagnosticMessage($"{rows}x{cols} Gram route vs gesdd: max relative difference {relative.Max():E2}");
        Assert.True(relative.Max() <= 1e-10, $"Gram route differs from gesdd by {relative.Max():E2} relative");
        Assert.True(NativeTestData.RelativeDifferences(viaBackend, NativeTestData.ManagedValues(matrix)).Max() <= 1e-10);
    }

    [Theory]
    [InlineData(300, 100, false)]
    [InlineData(152, 150, true)]
    [InlineData(170, 150, false)]
    [InlineData(150, 150, true)]
    public void Only_shapes_that_may_be_well_conditioned_try_the_gram_route(int rows, int cols, bool skipped)
    {
        Backends.RequireNative();
        // Rank-deficient, so the Gram route, when tried, is rejected: the counter tells whether it was tried.
        var matrix = NativeTestData.RankDeficient(rows, cols, 20, 5000 + rows);
        var backend = new OpenBlasSpectralBackend();
        backend.SingularValues(matrix);
        Assert.Equal(1, backend.SvdRouteCount);
        Assert.Equal(skipped ? 0 : 1, backend.GramRejectedCount);
    }

    [Fact]
    public void Rank_deficient_matrix_takes_gesdd_and_keeps_its_zero_singular_values()
    {
        Backends.RequireNative();
        const int rank = 30;
        var matrix = NativeTestData.RankDeficient(200, 80, rank, 3000);
        var backend = new OpenBlasSpectralBackend();

        var viaBackend = NativeTestData.Descending(backend.SingularValues(matrix));

        Assert.Equal(0, backend.GramRouteCount);
        Assert.Equal(1, backend.SvdRouteCount);
        double sMax = viaBackend[0];
        var bySvd = NativeTestData.Descending(NativeKernels.SvdValues(matrix));
        var managed = NativeTestData.ManagedValues(matrix);
        for (int i = 0; i < viaBackend.Length; i++)
        {
            Assert.True(Math.Abs(viaBackend[i] - bySvd[i]) <= 1e-12 * sMax, $"value {i}: backend {viaBackend[i]:R}, gesdd {bySvd[i]:R}");
            Assert.True(Math.Abs(viaBackend[i] - managed[i]) <= 1e-12 * sMax, $"value {i}: backend {viaBackend[i]:R}, managed {managed[i]:R}");
        }
        // The Gram route would leave values near sqrt(eps) * s_max here; gesdd keeps them near eps * s_max.
        Assert.True(viaBackend[rank - 1] > 1e-6 * sMax, $"s[{rank - 1}] = {viaBackend[rank - 1]:R} should be a true nonzero value");
        for (int i = rank; i < viaBackend.Length; i++)
        {
            Assert.True(viaBackend[i] <= 1e-12 * sMax, $"s[{i}] = {viaBackend[i]:E3} should be zero to 1e-12 of s_max {sMax:G4}");
        }
    }

    [Fact]
    public void Square_random_matrix_takes_gesdd_and_matches_it()
    {
        Backends.RequireNative();
        // A square Gaussian matrix's lambda_min / lambda_max is of order 1 / (4 n^2): below the Gram limit.
        var matrix = NativeTestData.Random(150, 150, 4000);
        var backend = new OpenBlasSpectralBackend();

        var viaBackend = NativeTestData.Descending(backend.SingularValues(matrix));

        Assert.Equal(0, backend.GramRouteCount);
        Assert.Equal(1, backend.SvdRouteCount);
        // Square: known ill-conditioned from its shape, so no Gram matrix was computed and thrown away.
        Assert.Equal(0, backend.GramRejectedCount);
        var relative = NativeTestData.RelativeDifferences(viaBackend, NativeTestData.Descending(NativeKernels.SvdValues(matrix)));
        Assert.True(relative.Max() <= 1e-10, $"differs from gesdd by {relative.Max():E2}");
        var managed = NativeTestData.RelativeDifferences(viaBackend, NativeTestData.ManagedValues(matrix));
        Assert.True(managed.Max() <= 1e-10, $"differs from managed by {managed.Max():E2}");
    }

    [Fact]
    public void Route_counts_accumulate_across_calls()
    {
        Backends.RequireNative();
        var backend = new OpenBlasSpectralBackend();
        var tall = NativeTestData.Random(90, 30, 5000);
        var deficient = NativeTestData.RankDeficient(60, 40, 10, 5001);
        backend.SingularValues(tall);
        backend.SingularValues(deficient);
        backend.SingularValues(tall);
        Assert.Equal(2, backend.GramRouteCount);
        Assert.Equal(1, backend.SvdRouteCount);
        Assert.Empty(backend.SingularValues(new WeightMatrix(0, 5, [])));
        Assert.Equal(3, backend.GramRouteCount + backend.SvdRouteCount);
    }

    [Theory]
    [InlineData(400, 100, true)]
    [InlineData(100, 400, true)]
    [InlineData(400, 100, false)]
    [InlineData(100, 400, false)]
    public void Single_precision_is_within_1e4_of_double_for_a_well_conditioned_matrix(int rows, int cols, bool useGramRoute)
    {
        Backends.RequireNative();
        var matrix = NativeTestData.Random(rows, cols, 6000 + rows);
        var single = new OpenBlasSpectralBackend(SpectralPrecision.Single, useGramRoute);
        var reference = NativeTestData.Descending(new OpenBlasSpectralBackend(useGramRoute: false).SingularValues(matrix));

        var values = NativeTestData.Descending(single.SingularValues(matrix));

        Assert.Equal(useGramRoute ? 1 : 0, single.GramRouteCount);
        var relative = NativeTestData.RelativeDifferences(values, reference);
        TestContext.Current.SendDiagnosticMessage(
            $"single precision {rows}x{cols} via {(useGramRoute ? "Gram" : "gesdd")}: max relative error vs double {relative.Max():E2}");
        Assert.True(relative.Max() <= 1e-4, $"single precision differs from double by {relative.Max():E2} relative");
        Assert.True(relative.Max() > 0, "single precision should not be bit-identical to double");
    }

    [Fact]
    public void Managed_and_native_agree_on_a_model_like_matrix()
    {
        Backends.RequireNative();
        // Heavy-tailed values from the golden generator, as in real layers.
        var values = InMemoryModelReader.Values(77, 256 * 64);
        var matrix = new WeightMatrix(256, 64, values);
        var native = NativeTestData.Descending(new OpenBlasSpectralBackend().SingularValues(matrix));
        var relative = NativeTestData.RelativeDifferences(native, NativeTestData.ManagedValues(matrix));
        Assert.True(relative[0] <= 1e-12 && relative.Max() <= 1e-10, $"max relative difference {relative.Max():E2}");
    }
}
