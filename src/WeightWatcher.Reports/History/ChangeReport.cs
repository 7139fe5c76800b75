using System.Text.Json;
using System.Text.Json.Serialization;

namespace WeightWatcher.Reports.History;

/// <summary>A rule that fired: on which model, metric and values.</summary>
/// <param name="Model">The model.</param>
/// <param name="Metric">The metric (or <c>alpha_band</c>).</param>
/// <param name="Rule">The rule as written.</param>
/// <param name="Previous">The previous run's value (null for thresholds on a new model and band exits).</param>
/// <param name="Current">The current value (for band exits, the number of layers that left [2, 6]).</param>
/// <param name="Detail">A readable sentence: what moved, by how much, or which layers left the band.</param>
public sealed record Alert(string Model, string Metric, string Rule, double? Previous, double Current, string Detail);

/// <summary>
/// What changed since the previous run: models new, removed, retrained (content hash changed) or
/// unchanged, and every alert rule that fired. A run with no previous one has only new models.
/// </summary>
/// <param name="PreviousJobId">The previous run's job id, or null on the first run.</param>
/// <param name="JobId">This run's job id.</param>
/// <param name="New">Models not in the previous run.</param>
/// <param name="Removed">Models of the previous run that are gone.</param>
/// <param name="Retrained">Models whose content hash changed.</param>
/// <param name="Unchanged">Models with the same content hash (their rows came from the cache).</param>
/// <param name="Alerts">Rules that fired, by model then rule order.</param>
public sealed record ChangeReport(
    string? PreviousJobId,
    string JobId,
    IReadOnlyList<string> New,
    IReadOnlyList<string> Removed,
    IReadOnlyList<string> Retrained,
    IReadOnlyList<string> Unchanged,
    IReadOnlyList<Alert> Alerts)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Compares <paramref name="current"/> with <paramref name="previous"/> (null on a first run) under <paramref name="rules"/>.</summary>
    public static ChangeReport Compare(RunSnapshot? previous, RunSnapshot current, IReadOnlyList<AlertRule> rules)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(rules);
        var before = previous?.Models.ToDictionary(m => m.Model, StringComparer.Ordinal) ?? [];
        var now = current.Models.ToDictionary(m => m.Model, StringComparer.Ordinal);
        var alerts = new List<Alert>();
        foreach (var model in current.Models.OrderBy(m => m.Model, StringComparer.Ordinal))
        {
            var old = before.GetValueOrDefault(model.Model);
            foreach (var rule in rules)
            {
                if (rule.Kind == AlertRuleKind.BandExit)
                {
                    if (old is not null && BandExits(old, model) is { Count: > 0 } left)
                    {
                        string layers = string.Join(", ", left.Select(l => $"layer {l.Id}: {Num(l.Was)} → {Num(l.Now)}"));
                        alerts.Add(new Alert(model.Model, rule.Metric, rule.Text, null, left.Count, $"{left.Count} layer(s) left alpha in [2, 6]: {layers}"));
                    }
                    continue;
                }
                if (!model.Metrics.TryGetValue(rule.Metric, out double value))
                {
                    continue;
                }
                double? was = old?.Metrics.TryGetValue(rule.Metric, out double p) == true ? p : null;
                if (rule.Fires(was, value))
                {
                    string detail = was is { } w
                        ? $"{rule.Metric} {Num(w)} → {Num(value)} ({Change(w, value)})"
                        : $"{rule.Metric} = {Num(value)}";
                    alerts.Add(new Alert(model.Model, rule.Metric, rule.Text, was, value, detail));
                }
            }
        }
        return new ChangeReport(
            previous?.JobId,
            current.JobId,
            now.Keys.Where(k => !before.ContainsKey(k)).Order(StringComparer.Ordinal).ToList(),
            before.Keys.Where(k => !now.ContainsKey(k)).Order(StringComparer.Ordinal).ToList(),
            now.Values.Where(m => before.TryGetValue(m.Model, out var o) && o.ContentHash != m.ContentHash).Select(m => m.Model).Order(StringComparer.Ordinal).ToList(),
            now.Values.Where(m => before.TryGetValue(m.Model, out var o) && o.ContentHash == m.ContentHash).Select(m => m.Model).Order(StringComparer.Ordinal).ToList(),
            alerts);
    }

    /// <summary>Layers whose alpha was in [2, 6] and now is not (a failed fit, -1, counts as outside).</summary>
    public static IReadOnlyList<(int Id, double Was, double Now)> BandExits(ModelSnapshot previous, ModelSnapshot current)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        return current.LayerAlphas
            .Where(l => previous.LayerAlphas.TryGetValue(l.Key, out double was) && InBand(was) && !InBand(l.Value))
            .Select(l => (l.Key, previous.LayerAlphas[l.Key], l.Value))
            .ToList();
    }

    /// <summary>alpha in [2, 6].</summary>
    public static bool InBand(double alpha) => alpha is >= 2 and <= 6;

    /// <summary>Indented JSON (snake_case).</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>The alerts alone as JSON (<c>alerts.json</c>): the job ids and the list.</summary>
    public byte[] AlertsJson() => JsonSerializer.SerializeToUtf8Bytes(new { job_id = JobId, previous_job_id = PreviousJobId, alerts = Alerts }, Json);

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    public static ChangeReport FromJson(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<ChangeReport>(json, Json) ?? throw new JsonException("empty change report");

    private static string Num(double v) => CellFormatter.Format(Math.Round(v, 4));

    private static string Change(double was, double now) =>
        was == 0 ? $"{(now - was):+0.####;-0.####}" : $"{(now - was) / Math.Abs(was) * 100:+0.#;-0.#}%";
}
