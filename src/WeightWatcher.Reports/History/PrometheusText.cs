using System.Globalization;
using System.Text;

namespace WeightWatcher.Reports.History;

/// <summary>A zoo run's totals for <c>metrics.prom</c>.</summary>
/// <param name="JobId">The job id.</param>
/// <param name="FinishedAt">When it finished.</param>
/// <param name="Models">Models analyzed.</param>
/// <param name="ModelsFailed">Models that failed as a whole.</param>
/// <param name="LayersAnalyzed">Layers analyzed in this run.</param>
/// <param name="LayersCached">Layers taken from the cache.</param>
/// <param name="LayersFailed">Layers that failed.</param>
/// <param name="Durations">Seconds per phase (planning, analysis, reports, total).</param>
public sealed record JobTotals(string JobId, DateTimeOffset FinishedAt, int Models, int ModelsFailed, int LayersAnalyzed, int LayersCached, int LayersFailed, IReadOnlyList<(string Phase, double Seconds)> Durations);

/// <summary>
/// The Prometheus text exposition format (version 0.0.4) of a run, for node-exporter's textfile
/// collector: per model and metric a <c>ww_model_metric</c> gauge, per model <c>ww_model_unchanged</c>,
/// alert counts, and the job's counts and phase durations.
/// </summary>
public static class PrometheusText
{
    /// <summary>Renders <paramref name="run"/> (with <paramref name="changes"/> for unchanged flags and alerts) and <paramref name="totals"/>.</summary>
    public static byte[] Render(RunSnapshot run, ChangeReport changes, JobTotals totals)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(totals);
        var text = new StringBuilder();
        var unchanged = changes.Unchanged.ToHashSet(StringComparer.Ordinal);
        Family(text, "ww_model_metric", "Summary metric of a model in the latest zoo run.");
        foreach (var m in run.Models)
        {
            foreach (var metric in RunSnapshot.MetricNames.Where(m.Metrics.ContainsKey))
            {
                Sample(text, "ww_model_metric", [("model", m.Model), ("series", m.Series ?? ""), ("metric", metric)], m.Metrics[metric]);
            }
        }
        Family(text, "ww_model_unchanged", "1 when the model's content hash equals the previous run's (its results came from the cache).");
        foreach (var m in run.Models)
        {
            Sample(text, "ww_model_unchanged", [("model", m.Model)], unchanged.Contains(m.Model) ? 1 : 0);
        }
        Family(text, "ww_model_alerts", "Alert rules that fired for a model in the latest zoo run.");
        foreach (var m in run.Models)
        {
            Sample(text, "ww_model_alerts", [("model", m.Model)], changes.Alerts.Count(a => a.Model == m.Model));
        }
        Family(text, "ww_job_alerts", "Alert rules that fired in the latest zoo run.");
        Sample(text, "ww_job_alerts", [], changes.Alerts.Count);
        Family(text, "ww_job_models", "Models of the latest zoo run by state.");
        Sample(text, "ww_job_models", [("state", "analyzed")], totals.Models);
        Sample(text, "ww_job_models", [("state", "failed")], totals.ModelsFailed);
        Sample(text, "ww_job_models", [("state", "new")], changes.New.Count);
        Sample(text, "ww_job_models", [("state", "removed")], changes.Removed.Count);
        Sample(text, "ww_job_models", [("state", "retrained")], changes.Retrained.Count);
        Sample(text, "ww_job_models", [("state", "unchanged")], changes.Unchanged.Count);
        Family(text, "ww_job_layers", "Layers of the latest zoo run by state.");
        Sample(text, "ww_job_layers", [("state", "analyzed")], totals.LayersAnalyzed);
        Sample(text, "ww_job_layers", [("state", "cached")], totals.LayersCached);
        Sample(text, "ww_job_layers", [("state", "failed")], totals.LayersFailed);
        Family(text, "ww_job_duration_seconds", "Wall time of each phase of the latest zoo run.");
        foreach (var (phase, seconds) in totals.Durations)
        {
            Sample(text, "ww_job_duration_seconds", [("phase", phase)], seconds);
        }
        Family(text, "ww_job_finished_timestamp_seconds", "When the latest zoo run finished (Unix time).");
        Sample(text, "ww_job_finished_timestamp_seconds", [("job_id", totals.JobId)], totals.FinishedAt.ToUnixTimeMilliseconds() / 1000.0);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void Family(StringBuilder text, string name, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(" gauge\n");

    private static void Sample(StringBuilder text, string name, (string Name, string Value)[] labels, double value)
    {
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{').Append(string.Join(',', labels.Select(l => $"{l.Name}=\"{Escape(l.Value)}\""))).Append('}');
        }
        text.Append(' ').Append(Value(value)).Append('\n');
    }

    /// <summary>A label value escaped as the format requires (backslash, double quote, line feed).</summary>
    public static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Value(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : v.ToString("R", CultureInfo.InvariantCulture);
}
