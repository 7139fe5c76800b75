using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Fitting;

namespace WeightWatcher.Core.Tests.Fitting;

public sealed class PowerLawFitTests
{
    private static double[] RandomSpectrum(Random rng, int n)
    {
        double tail = 1.5 + (4 * rng.NextDouble());
        // A tenth of the values are rounded to two decimals, so duplicates (ties) occur.
        return Enumerable.Range(0, n)
            .Select(_ => rng.Next(10) == 0 ? Math.Round(rng.NextDouble(), 2) : Math.Pow(1 - rng.NextDouble(), -1 / (tail - 1)))
            .OrderBy(v => v)
            .ToArray();
    }

    private static void AssertSameFit(PowerLawFitResult expected, PowerLawFitResult actual, string context)
    {
        Assert.True(expected.Succeeded == actual.Succeeded, context);
        if (!expected.Succeeded)
        {
            return;
        }
        Assert.True(expected.Xmin == actual.Xmin, $"{context}: xmin {expected.Xmin} vs {actual.Xmin}");
        Assert.True(expected.TailCount == actual.TailCount, $"{context}: tail {expected.TailCount} vs {actual.TailCount}");
        Assert.Equal(expected.Alpha, actual.Alpha, Math.Abs(expected.Alpha) * 1e-12);
        Assert.Equal(expected.D, actual.D, 1e-12);
        Assert.Equal(expected.Xmax, actual.Xmax);
        Assert.Equal(expected.Sigma, actual.Sigma, 1e-12);
    }

    [Fact]
    public void Matches_the_straightforward_scan_on_thousands_of_random_spectra()
    {
        var rng = new Random(2024);
        int cases = 3000;
        for (int c = 0; c < cases; c++)
        {
            var evals = RandomSpectrum(rng, rng.Next(0, 300));
            AssertSameFit(StraightforwardPowerLawFit.Fit(evals), PowerLawFit.Fit(evals), $"case {c}");
        }
    }

    [Fact]
    public void Parallel_scan_of_long_spectra_matches_the_straightforward_scan()
    {
        var rng = new Random(77);
        foreach (int n in new[] { PowerLawFit.ParallelThreshold + 1, 2500, 3200, 4000 })
        {
            var evals = RandomSpectrum(rng, n);
            AssertSameFit(StraightforwardPowerLawFit.Fit(evals), PowerLawFit.Fit(evals), $"n = {n}");
        }
        // Heavy ties: a spectrum of few distinct values keeps many candidates at equal D.
        var tied = Enumerable.Range(0, 2600).Select(i => Math.Round(1 + (i % 37) * 0.25, 2)).OrderBy(v => v).ToArray();
        AssertSameFit(StraightforwardPowerLawFit.Fit(tied), PowerLawFit.Fit(tied), "ties");
    }

    [Fact]
    public void Fewer_than_two_points_above_the_threshold_fail()
    {
        Assert.False(PowerLawFit.Fit([0, 1e-6, 1e-5, 0.5]).Succeeded);
        Assert.True(PowerLawFit.Fit([0, 1e-6, 0.25, 0.5]).Succeeded);
        Assert.Equal(PowerLawFitResult.Failed, PowerLawFit.Fit([]));
    }

    [Fact]
    public void Integer_xmax_beyond_half_the_spectrum_truncates_at_the_eigenvalue_nearest_the_number()
    {
        var evals = Enumerable.Range(1, 100).Select(i => i / 100.0).ToArray();
        // k = 60 > n/2: the nearest eigenvalue to 60 is the largest, so nothing is removed (quirk Q28).
        Assert.Equal(evals, TailFitter.ApplyIntegerXmax(evals, 60));
        Assert.Equal(evals, TailFitter.ApplyIntegerXmax(evals, -60));
        // k <= n/2: the top k are removed, whatever the sign.
        Assert.Equal(evals[..^3], TailFitter.ApplyIntegerXmax(evals, -3));
        Assert.Equal(evals[..^3], TailFitter.ApplyIntegerXmax(evals, 3));
        var big = Enumerable.Range(1, 10).Select(i => (double)i).ToArray();
        Assert.Equal(big[..7], TailFitter.ApplyIntegerXmax(big, 7));
    }

    [Fact]
    public void Num_pl_spikes_counts_every_eigenvalue_at_or_above_xmin()
    {
        var evals = Enumerable.Range(1, 80).Select(i => Math.Pow(i, 1.3) / 50).ToArray();
        var tail = TailFitter.Fit(evals, new AnalysisOptions());
        Assert.Equal(evals.Count(v => v >= tail.Fit.Xmin), tail.NumPlSpikes);
        Assert.Equal(tail.Fit.TailCount, tail.NumPlSpikes);
    }

    [Fact]
    public void Nelder_mead_finds_a_smooth_minimum_to_its_tolerance()
    {
        double x = NelderMead1D.Minimize(v => ((v - 3) * (v - 3)) + 1, 1.0);
        Assert.Equal(3.0, x, 1e-3);
        double y = NelderMead1D.Minimize(v => Math.Abs(v + 0.5), 0.0);
        Assert.Equal(-0.5, y, 1e-3);
    }

    [Fact]
    public void Mp_fit_of_a_pure_noise_matrix_finds_sigma_near_one_and_few_spikes()
    {
        var rng = new Random(5);
        int n = 400, m = 100;
        var w = new double[n * m];
        for (int i = 0; i < w.Length; i++)
        {
            // Box-Muller normal variates.
            w[i] = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()) / Math.Sqrt(n);
        }
        var esd = new Spectral.EsdCalculator(Spectral.ManagedSpectralBackend.Instance).Compute([new Spectral.WeightMatrix(n, m, w)], n);
        var mp = MarchenkoPasturFit.Fit(esd.Evals, (double)n / m, m);
        Assert.InRange(mp.SigmaMp, 0.85, 1.15);
        Assert.InRange(mp.NumSpikes, 0, 3);
        Assert.InRange(mp.MpSoftRank, 0.8, 1.3);
    }
}
