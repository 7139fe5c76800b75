using System.Diagnostics;

namespace WeightWatcher.Core.Analysis;

/// <summary>
/// Where an analysis spent its time: seconds per stage summed over the threads that ran it (so with
/// layers in parallel the stages can add up to more than the wall time), and the wall time.
/// </summary>
/// <param name="Read">Reading tensor bytes and widening them to double.</param>
/// <param name="Matrices">Cutting tensors into matrices (conv slicing and scaling).</param>
/// <param name="Spectra">Singular values / eigenvalues.</param>
/// <param name="Fit">Power-law fits (including finger clipping).</param>
/// <param name="Metrics">Norm metrics, MP fit, randomization, detX.</param>
/// <param name="Wall">Elapsed time of the whole analysis.</param>
public sealed record AnalysisTimings(double Read, double Matrices, double Spectra, double Fit, double Metrics, double Wall)
{
    /// <summary>Share of the summed stage time spent fitting.</summary>
    public double FitShare => Fit / Math.Max(Read + Matrices + Spectra + Fit + Metrics, 1e-12);
}

/// <summary>Thread-safe accumulator of stage times.</summary>
internal sealed class StageClock
{
    private long _read, _matrices, _spectra, _fit, _metrics;

    public static long Now => Stopwatch.GetTimestamp();

    public void AddRead(long start) => Interlocked.Add(ref _read, Stopwatch.GetTimestamp() - start);

    public void AddMatrices(long start) => Interlocked.Add(ref _matrices, Stopwatch.GetTimestamp() - start);

    public void AddSpectra(long start) => Interlocked.Add(ref _spectra, Stopwatch.GetTimestamp() - start);

    public void AddFit(long start) => Interlocked.Add(ref _fit, Stopwatch.GetTimestamp() - start);

    public void AddMetrics(long start) => Interlocked.Add(ref _metrics, Stopwatch.GetTimestamp() - start);

    public AnalysisTimings ToTimings(TimeSpan wall) =>
        new(Seconds(_read), Seconds(_matrices), Seconds(_spectra), Seconds(_fit), Seconds(_metrics), wall.TotalSeconds);

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}
