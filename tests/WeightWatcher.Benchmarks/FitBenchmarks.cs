using BenchmarkDotNet.Attributes;
using WeightWatcher.Core.Fitting;

namespace WeightWatcher.Benchmarks;

/// <summary>The power-law fit: the exact best-first scan against the reference's straightforward O(n^2) scan (the baseline).</summary>
[MemoryDiagnoser]
public class FitBenchmarks
{
    private double[] _evals = [];

    [Params(2000, 8000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(N);
        _evals = Enumerable.Range(0, N)
            .Select(i => i < N * 0.85 ? 0.5 + rng.NextDouble() : Math.Pow(1 - rng.NextDouble(), -1 / 2.5))
            .OrderBy(v => v)
            .ToArray();
    }

    [Benchmark(Baseline = true)]
    public PowerLawFitResult Straightforward() => StraightforwardPowerLawFit.Fit(_evals);

    [Benchmark]
    public PowerLawFitResult BestFirst() => PowerLawFit.Fit(_evals);
}
