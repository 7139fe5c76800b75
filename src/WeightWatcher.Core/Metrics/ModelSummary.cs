namespace WeightWatcher.Core.Metrics;

/// <summary>
/// The reference's <c>get_summary()</c>: the plain mean over rows of each summary metric present
/// (NaN skipped, infinities propagate; no weighting, so with <c>pool=false</c> each slice is a row).
/// </summary>
public sealed record ModelSummary(IReadOnlyList<KeyValuePair<string, double>> Values)
{
    /// <summary>Metric names in the reference's order.</summary>
    public static readonly string[] MetricNames =
        ["log_norm", "alpha", "alpha_weighted", "log_alpha_norm", "log_spectral_norm", "stable_rank", "mp_softrank"];

    /// <summary>The value of a metric, or null when absent.</summary>
    public double? this[string metric] => Values.FirstOrDefault(kv => kv.Key == metric) is { Key: not null } kv ? kv.Value : null;

    /// <summary>Summarises analyzed rows.</summary>
    public static ModelSummary From(IReadOnlyList<LayerResult> rows)
    {
        var values = new List<KeyValuePair<string, double>>();
        if (rows.Count == 0)
        {
            return new ModelSummary(values);
        }
        foreach (var name in MetricNames)
        {
            if (name == "mp_softrank" && rows.All(r => r.Mp is null))
            {
                continue;
            }
            var column = rows.Select(r => Value(r, name)).Where(v => !double.IsNaN(v)).ToArray();
            values.Add(new(name, column.Length == 0 ? double.NaN : column.Sum() / column.Length));
        }
        return new ModelSummary(values);
    }

    private static double Value(LayerResult r, string name) => name switch
    {
        "log_norm" => r.Norms.LogNorm,
        "alpha" => r.Alpha,
        "alpha_weighted" => r.AlphaWeighted,
        "log_alpha_norm" => r.LogAlphaNorm,
        "log_spectral_norm" => r.Norms.LogSpectralNorm,
        "stable_rank" => r.Norms.StableRank,
        "mp_softrank" => r.Mp?.MpSoftRank ?? double.NaN,
        _ => double.NaN,
    };
}
