using Serilog;
using WeightWatcher.Core.Analysis;

namespace WeightWatcher.Cli.Commands;

/// <summary>
/// Shows analysis progress: a live line on an interactive terminal, and a structured log event every
/// few seconds otherwise (so batch logs show that long work is moving).
/// </summary>
internal sealed class ProgressReporter(string task) : IProgress<AnalysisProgress>
{
    private readonly object _gate = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly bool _live = !Console.IsErrorRedirected;
    private TimeSpan _lastLog = TimeSpan.Zero;
    private bool _wroteLine;

    public void Report(AnalysisProgress value)
    {
        lock (_gate)
        {
            var elapsed = _clock.Elapsed;
            double rate = value.Done / Math.Max(elapsed.TotalSeconds, 1e-9);
            double eta = (value.Total - value.Done) / Math.Max(rate, 1e-9);
            if (_live)
            {
                Console.Error.Write($"\r{task}: {value.Done}/{value.Total} layers, {rate:F1}/s, ETA {eta:F0} s   ");
                _wroteLine = true;
            }
            else if (elapsed - _lastLog >= TimeSpan.FromSeconds(5) || value.Done == value.Total)
            {
                _lastLog = elapsed;
                Log.Information("Progress {Task}: {Done}/{Total} layers ({Rate:F1}/s, ETA {Eta:F0} s), last {Layer}", task, value.Done, value.Total, rate, eta, value.LayerName);
            }
        }
    }

    public void Finish()
    {
        lock (_gate)
        {
            if (_wroteLine)
            {
                Console.Error.WriteLine();
            }
        }
    }
}
