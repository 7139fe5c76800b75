using System.Text.Json;
using System.Text.Json.Serialization;
using WeightWatcher.Core.Metrics;

namespace WeightWatcher.Reports.History;

/// <summary>One model as a run saw it: its content hash, summary metrics and each layer's alpha.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="ContentHash">SHA-256 of the model's content (retrained when it changes).</param>
/// <param name="Series">Its catalog series, if any.</param>
/// <param name="Metrics">Summary metrics (<see cref="RunSnapshot.MetricNames"/> that it has).</param>
/// <param name="LayerAlphas">alpha by layer id (pooled rows; failed fits as -1).</param>
public sealed record ModelSnapshot(string Model, string ContentHash, string? Series, IReadOnlyDictionary<string, double> Metrics, IReadOnlyDictionary<int, double> LayerAlphas);

/// <summary>
/// What a run leaves for the next one to compare with (<c>state/last-run.json</c>): per model its hash,
/// summary metrics and layer alphas.
/// </summary>
/// <param name="JobId">The run's job id.</param>
/// <param name="FinishedAt">When it finished.</param>
/// <param name="Models">Every model analyzed, by name (ordinal order).</param>
public sealed record RunSnapshot(string JobId, DateTimeOffset FinishedAt, IReadOnlyList<ModelSnapshot> Models)
{
    /// <summary>Metrics kept per model: the reference summary, then the zoo's own.</summary>
    public static readonly IReadOnlyList<string> MetricNames =
        [.. ModelSummary.MetricNames, "median_alpha", "share_alpha_lt_2", "share_alpha_gt_6", "layers", "failed_layers"];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>A model's snapshot from its layer rows (column-to-value maps) and aggregate.</summary>
    public static ModelSnapshot Model(string model, string contentHash, string? series, IReadOnlyList<IReadOnlyDictionary<string, object?>> rows, ModelAggregate aggregate)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var name in ModelSummary.MetricNames)
        {
            if (aggregate.Summary[name] is { } v)
            {
                metrics[name] = v;
            }
        }
        metrics["median_alpha"] = aggregate.MedianAlpha;
        metrics["share_alpha_lt_2"] = aggregate.ShareAlphaBelow2;
        metrics["share_alpha_gt_6"] = aggregate.ShareAlphaAbove6;
        metrics["layers"] = aggregate.Layers;
        metrics["failed_layers"] = aggregate.FailedLayers;
        var alphas = new SortedDictionary<int, double>();
        foreach (var row in rows)
        {
            // With pool=false a layer has one row per slice: the first stands for the layer's band.
            alphas.TryAdd((int)ModelSummary.RowNumber(row, "layer_id"), ModelSummary.RowNumber(row, "alpha"));
        }
        return new ModelSnapshot(model, contentHash, series, metrics, alphas);
    }

    /// <summary>Indented JSON (snake_case; NaN and infinities as strings).</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    /// <exception cref="JsonException">Not a snapshot.</exception>
    public static RunSnapshot FromJson(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<RunSnapshot>(json, Json) ?? throw new JsonException("empty run snapshot");
}
