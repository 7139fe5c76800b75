using BenchmarkDotNet.Attributes;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Synthetic;

namespace WeightWatcher.Benchmarks;

/// <summary>Singular values of one weight matrix: the managed provider (baseline) against the OpenBLAS routes.</summary>
[MemoryDiagnoser]
public class SpectrumBenchmarks
{
    private WeightMatrix _matrix = new(1, 1, [1.0]);
    private OpenBlasSpectralBackend? _native;

    [Params(768)]
    public int Cols { get; set; }

    [Params(768, 3072)]
    public int Rows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var values = ReferenceModel.Generate(9, (long)Rows * Cols).Select(v => (double)v).ToArray();
        _matrix = new WeightMatrix(Rows, Cols, values);
        if (OpenBlasSpectralBackend.IsAvailable)
        {
            OpenBlasSpectralBackend.Threads = 1;
            _native = new OpenBlasSpectralBackend();
        }
    }

    [Benchmark(Baseline = true)]
    public double[] Managed() => ManagedSpectralBackend.Instance.SingularValues(_matrix);

    [Benchmark]
    public double[] OpenBlas() => _native?.SingularValues(_matrix) ?? [];

    [Benchmark]
    public double[] OpenBlasGesdd() => _native is null ? [] : NativeKernels.SvdValues(_matrix);
}
