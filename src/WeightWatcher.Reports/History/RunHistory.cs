using System.Text.Json.Serialization;
using Parquet.Serialization;

namespace WeightWatcher.Reports.History;

/// <summary>One row of <c>history.parquet</c>: one run, one model, one metric.</summary>
public sealed class HistoryRow
{
    /// <summary>The run's job id.</summary>
    [JsonPropertyName("job_id")]
    public string JobId { get; set; } = "";

    /// <summary>When the run finished (ISO 8601, UTC).</summary>
    [JsonPropertyName("finished_at")]
    public string FinishedAt { get; set; } = "";

    /// <summary>The model.</summary>
    [JsonPropertyName("model")]
    public string Model { get; set; } = "";

    /// <summary>The model's content hash in that run.</summary>
    [JsonPropertyName("content_hash")]
    public string ContentHash { get; set; } = "";

    /// <summary>True when the hash equals the previous run's (its rows came from the cache).</summary>
    [JsonPropertyName("unchanged")]
    public bool Unchanged { get; set; }

    /// <summary>The metric (<see cref="RunSnapshot.MetricNames"/>).</summary>
    [JsonPropertyName("metric")]
    public string Metric { get; set; } = "";

    /// <summary>Its value (null for NaN).</summary>
    [JsonPropertyName("value")]
    public double? Value { get; set; }
}

/// <summary>
/// The history across runs (<c>history.parquet</c> and <c>history.csv</c>): each run appends one row per
/// model and metric, with the model's content hash and whether it was unchanged, so nightly runs form
/// time series. A run already in the history (a job re-reported) replaces its own rows.
/// </summary>
public static class RunHistory
{
    /// <summary>Columns, in order (the CSV header and the Parquet schema).</summary>
    public static readonly IReadOnlyList<string> Columns = ["job_id", "finished_at", "model", "content_hash", "unchanged", "metric", "value"];

    /// <summary>The rows of <paramref name="run"/>; <paramref name="previous"/> decides <c>unchanged</c>.</summary>
    public static IReadOnlyList<HistoryRow> RowsOf(RunSnapshot run, RunSnapshot? previous)
    {
        ArgumentNullException.ThrowIfNull(run);
        var before = previous?.Models.ToDictionary(m => m.Model, m => m.ContentHash, StringComparer.Ordinal) ?? [];
        string finished = run.FinishedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        return run.Models
            .SelectMany(m => RunSnapshot.MetricNames.Where(m.Metrics.ContainsKey).Select(metric => new HistoryRow
            {
                JobId = run.JobId,
                FinishedAt = finished,
                Model = m.Model,
                ContentHash = m.ContentHash,
                Unchanged = before.TryGetValue(m.Model, out var h) && h == m.ContentHash,
                Metric = metric,
                Value = double.IsNaN(m.Metrics[metric]) ? null : m.Metrics[metric],
            }))
            .ToList();
    }

    /// <summary>Reads <c>history.parquet</c> (empty when <paramref name="parquet"/> is null).</summary>
    public static async Task<IReadOnlyList<HistoryRow>> ReadAsync(byte[]? parquet, CancellationToken cancellation = default)
    {
        if (parquet is null || parquet.Length == 0)
        {
            return [];
        }
        using var stream = new MemoryStream(parquet);
        var result = await ParquetSerializer.DeserializeAsync<HistoryRow>(stream, cancellationToken: cancellation).ConfigureAwait(false);
        return [.. result.Data];
    }

    /// <summary>
    /// The history with <paramref name="added"/> appended (rows of the same job replaced), as Parquet and
    /// CSV bytes, ordered by finish time, model and metric order.
    /// </summary>
    public static async Task<(byte[] Parquet, byte[] Csv, IReadOnlyList<HistoryRow> Rows)> AppendAsync(IReadOnlyList<HistoryRow> existing, IReadOnlyList<HistoryRow> added, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(added);
        var jobs = added.Select(r => r.JobId).ToHashSet(StringComparer.Ordinal);
        var rows = existing.Where(r => !jobs.Contains(r.JobId)).Concat(added).ToList();
        using var stream = new MemoryStream();
        await ParquetSerializer.SerializeAsync(rows, stream, cancellationToken: cancellation).ConfigureAwait(false);
        var csv = CsvTableWriter.ToBytes(Columns, rows, (r, c) => c switch
        {
            "job_id" => r.JobId,
            "finished_at" => r.FinishedAt,
            "model" => r.Model,
            "content_hash" => r.ContentHash,
            "unchanged" => r.Unchanged,
            "metric" => r.Metric,
            _ => r.Value,
        });
        return (stream.ToArray(), csv, rows);
    }
}
