using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Metrics;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Parity;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Properties;

/// <summary>Properties the reference's own tests and the spec state, checked on our engine.</summary>
public sealed class SpectralPropertyTests
{
    private static readonly Analyzer Engine = new(ManagedSpectralBackend.Instance);

    [Theory]
    [InlineData(3.0)]
    [InlineData(0.25)]
    [InlineData(17.5)]
    public void Alpha_is_invariant_to_scaling_W(double scale)
    {
        var values = InMemoryModelReader.Values(11, 200 * 80);
        using var model = new InMemoryModelReader()
            .Add("a.weight", [200, 80], values)
            .Add("b.weight", [200, 80], values.Select(v => v * scale).ToArray());
        var rows = Engine.Analyze(model, new AnalysisOptions()).Rows;
        Assert.Equal(2, rows.Count);
        Assert.Equal(rows[0].Alpha, rows[1].Alpha, 1e-10);
        Assert.Equal(rows[0].Tail.Fit.D, rows[1].Tail.Fit.D, 1e-10);
        Assert.Equal(rows[0].Tail.Fit.Xmin * scale * scale, rows[1].Tail.Fit.Xmin, rows[1].Tail.Fit.Xmin * 1e-10);
        Assert.Equal(rows[0].Norms.LogNorm + (2 * Math.Log10(scale)), rows[1].Norms.LogNorm, 1e-10);
        Assert.NotEqual(rows[0].Norms.LogNorm, rows[1].Norms.LogNorm);
    }

    [Fact]
    public void Pooled_3x3_conv_lambda_max_times_9_equals_largest_slice_lambda_max()
    {
        using var model = new InMemoryModelReader().Add("conv.weight", [48, 24, 3, 3], InMemoryModelReader.Values(3, 48 * 24 * 9));
        var pooled = Engine.Analyze(model, new AnalysisOptions()).Rows.Single();
        var slices = Engine.Analyze(model, new AnalysisOptions { Pool = false }).Rows;
        Assert.Equal(9, slices.Count);
        Assert.Equal(Enumerable.Range(0, 9), slices.Select(s => s.Layer.SliceId!.Value));
        double largestSlice = slices.Max(s => s.Spectrum.LambdaMax);
        Assert.Equal(pooled.Spectrum.LambdaMax * 9, largestSlice, largestSlice * 1e-12);
    }

    [Fact]
    public void Pooled_conv_eigenvalues_are_half_the_unnormalized_ones()
    {
        using var model = new InMemoryModelReader().Add("conv.weight", [32, 16, 3, 3], InMemoryModelReader.Values(5, 32 * 16 * 9));
        var scaled = Engine.Analyze(model, new AnalysisOptions()).Rows.Single();
        var raw = Engine.Analyze(model, new AnalysisOptions { Conv2dNorm = false }).Rows.Single();
        Assert.Equal(raw.Spectrum.Evals.Length, scaled.Spectrum.Evals.Length);
        for (int i = 0; i < raw.Spectrum.Evals.Length; i++)
        {
            Assert.Equal(raw.Spectrum.Evals[i] / 2, scaled.Spectrum.Evals[i], raw.Spectrum.Evals[i] * 1e-12);
        }
    }

    [Fact]
    public void One_finger_gives_the_same_alpha_as_xmax_minus_2()
    {
        var clipped = GoldenParityTests.AnalyzeReferenceModel(new AnalysisOptions { FixFingers = FingerFix.ClipXmax });
        var xmax2 = GoldenParityTests.AnalyzeReferenceModel(new AnalysisOptions { XMax = -2 });
        var withOneFinger = clipped.Rows.Where(r => r.Tail.NumFingers == 1).ToList();
        Assert.NotEmpty(withOneFinger);
        foreach (var r in withOneFinger)
        {
            var same = xmax2.Rows.Single(x => x.Layer.LayerId == r.Layer.LayerId);
            Assert.Equal(same.Alpha, r.Alpha);
            Assert.Equal(same.Tail.Fit.Xmin, r.Tail.Fit.Xmin);
        }
    }

    [Fact]
    public void Randomize_is_reproducible_for_a_seed_and_differs_across_seeds()
    {
        var a = GoldenParityTests.AnalyzeReferenceModel(new AnalysisOptions { Randomize = true, Seed = 7 });
        var b = GoldenParityTests.AnalyzeReferenceModel(new AnalysisOptions { Randomize = true, Seed = 7 });
        var c = GoldenParityTests.AnalyzeReferenceModel(new AnalysisOptions { Randomize = true, Seed = 8 });
        Assert.Equal(5, a.Rows.Count);
        for (int i = 0; i < a.Rows.Count; i++)
        {
            var ra = a.Rows[i].Random!;
            Assert.Equal(ra, b.Rows[i].Random!);
            Assert.NotEqual(ra.MaxRandEval, c.Rows[i].Random!.MaxRandEval);
            Assert.InRange(ra.RandDistance, 0, Math.Sqrt(Math.Log(2)));
            Assert.True(ra.MaxRandEval > 0);
            Assert.Equal(a.Rows[i].Spectrum.LambdaMax - (ra.WwSoftrank * a.Rows[i].Spectrum.LambdaMax), ra.WwMaxdist, 1e-12);
        }
        var columns = LayerTable.AnalyzeColumns(a.Options);
        Assert.Contains("rand_num_spikes", columns);
        Assert.Contains("ww_softrank", columns);
    }

    [Fact]
    public void Shuffling_preserves_the_frobenius_norm()
    {
        var esd = new EsdCalculator(ManagedSpectralBackend.Instance);
        var values = InMemoryModelReader.Values(9, 60 * 40);
        var m = new WeightMatrix(60, 40, values);
        var actual = esd.Compute([m], 60).Evals;
        var shuffled = esd.ShuffledEvals([m], 1, new Random(1));
        Assert.Equal(NumpySum.Pairwise(actual), NumpySum.Pairwise(shuffled), 1e-12);
        Assert.NotEqual(actual[^1], shuffled[^1]);
    }

    [Fact]
    public void Xmin_peak_succeeds_where_the_reference_fails_and_respects_its_range()
    {
        var result = GoldenParityTests.AnalyzeReferenceModel(new AnalysisOptions { FixFingers = FingerFix.XminPeak });
        Assert.Equal(5, result.Rows.Count);
        foreach (var r in result.Rows)
        {
            Assert.Equal("success", r.Tail.Fit.Status);
            var fitted = r.Spectrum.Evals.Where(v => v > 1e-5).ToArray();
            double peak = Core.Fitting.XminPeak.PeakOf(fitted);
            Assert.InRange(r.Tail.Fit.Xmin, 0.95 * peak, 1.5 * peak);
        }
    }

    [Fact]
    public void Exact_zero_matrix_fails_the_fit_with_reference_sentinels()
    {
        using var model = new InMemoryModelReader().Add("z.weight", [30, 20], new double[600]);
        var row = Engine.Analyze(model, new AnalysisOptions()).Rows.Single();
        Assert.Equal("failed", row.Tail.Fit.Status);
        Assert.Equal(-1, row.Alpha);
        Assert.Equal(-1, row.Tail.NumPlSpikes);
        Assert.Null(row.Tail.Fit.Xmax);
        Assert.Equal("over-trained", row.Warning);
        Assert.True(double.IsNegativeInfinity(row.Norms.LogNorm));
        Assert.True(double.IsNaN(row.Norms.Entropy));
    }
}
