using Serilog;
using WeightWatcher.Cluster.Protocol;

namespace WeightWatcher.Cli.Commands.Zoo;

/// <summary>
/// Live progress of a zoo job: models and layers done / total, rate and ETA, on one rewritten line on a
/// terminal, and as a structured log event every few seconds otherwise (CI and Kubernetes logs).
/// </summary>
internal sealed class ZooProgressDisplay
{
    private readonly bool _live = !Console.IsErrorRedirected;
    private readonly System.Diagnostics.Stopwatch _sinceLog = System.Diagnostics.Stopwatch.StartNew();
    private JobPhase _lastPhase = JobPhase.Idle;
    private string? _lastMessage;
    private bool _wroteLine;

    public void Show(JobStatus s)
    {
        int work = s.LayersTotal - s.LayersCached;
        int workDone = s.LayersDone - s.LayersCached;
        double rate = workDone / Math.Max(s.ElapsedSeconds, 1e-9);
        string eta = s.Phase == JobPhase.Analyzing && rate > 0 ? $", ETA {(work - workDone) / rate:F0} s" : "";
        string text = s.Phase == JobPhase.Planning
            ? $"zoo {s.Phase.ToString().ToLowerInvariant()}: models {s.ModelsDone}/{s.ModelsTotal} read"
            : $"zoo {s.Phase.ToString().ToLowerInvariant()}: models {s.ModelsDone}/{s.ModelsTotal}, layers {s.LayersDone}/{s.LayersTotal} (cached {s.LayersCached}, failed {s.LayersFailed}), {rate:F1} layers/s{eta}";
        if (s.Message is { Length: > 0 } note && s.Phase is JobPhase.Planning or JobPhase.Analyzing)
        {
            text += $"; {note}";
        }
        if (_live)
        {
            Console.Error.Write($"\r{text,-110}");
            _wroteLine = true;
        }
        if (s.Phase != _lastPhase || s.Message != _lastMessage || _sinceLog.Elapsed >= TimeSpan.FromSeconds(5))
        {
            _sinceLog.Restart();
            _lastPhase = s.Phase;
            _lastMessage = s.Message;
            Log.Information("Zoo job {JobId} {Phase}: models {ModelsDone}/{ModelsTotal}, layers {LayersDone}/{LayersTotal}, cached {LayersCached}, failed {LayersFailed}, resent {Resent}, {Rate:F1} layers/s{Note}",
                s.JobId, s.Phase, s.ModelsDone, s.ModelsTotal, s.LayersDone, s.LayersTotal, s.LayersCached, s.LayersFailed, s.Resent, rate, s.Message is { Length: > 0 } m ? "; " + m : "");
        }
    }

    public void Finish()
    {
        if (_wroteLine)
        {
            Console.Error.WriteLine();
        }
    }
}
