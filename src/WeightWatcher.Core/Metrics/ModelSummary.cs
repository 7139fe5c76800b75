using System.Globalization;

namespace WeightWatcher.Core.Metrics;

/// <summary>
/// The reference's <c>get_summary()</c>: the plain mean over rows of each summary metric present
/// (NaN skipped, infinities propagate; no weighting, so with <c>pool=false</c> each slice is a row).
/// </summary>
public sealed record ModelSummary(IReadOnlyList<KeyValuePair<string, double>> Values)
{
    /// <summary>Metric names in the reference's order (also the column names of the layer table).</summary>
    public static readonly string[] MetricNames =
        ["log_norm", "alpha", "alpha_weighted", "log_alpha_norm", "log_spectral_norm", "stable_rank", "mp_softrank"];

    /// <summary>The value of a metric, or null when absent.</summary>
    public double? this[string metric] => Values.FirstOrDefault(kv => kv.Key == metric) is { Key: not null } kv ? kv.Value : null;

    /// <summary>Summarises analyzed rows.</summary>
    public static ModelSummary From(IReadOnlyList<LayerResult> rows) =>
        Build(rows, rows.Any(r => r.Mp is not null), Value);

    /// <summary>
    /// Summarises rows given as column-to-value maps (the layer table's column names; values double,
    /// int, long, numeric strings as <c>CellFormatter</c> writes them, or null), e.g. after a JSON round
    /// trip. Equal bit for bit to <see cref="From"/> on the rows <c>LayerTable.Value</c> makes:
    /// both go through the same averaging. <c>mp_softrank</c> is present when some row has a non-null one.
    /// </summary>
    /// <exception cref="ArgumentException">A metric cell holds a value that is not a number.</exception>
    public static ModelSummary FromRows(IReadOnlyList<IReadOnlyDictionary<string, object?>> rows) =>
        Build(rows, rows.Any(r => r.TryGetValue("mp_softrank", out var v) && v is not null), (r, name) => RowNumber(r, name));

    /// <summary>
    /// The number in column <paramref name="column"/> of a row map: NaN when the column is missing or
    /// null; integers widened; strings parsed as <c>CellFormatter</c> writes numbers (<c>inf</c>, <c>-inf</c>,
    /// empty for NaN).
    /// </summary>
    /// <exception cref="ArgumentException">The cell holds a bool, an unparsable string or another type.</exception>
    public static double RowNumber(IReadOnlyDictionary<string, object?> row, string column)
    {
        if (!row.TryGetValue(column, out var value))
        {
            return double.NaN;
        }
        return value switch
        {
            null => double.NaN,
            double d => d,
            float f => f,
            int i => i,
            long l => l,
            string s => ParseNumber(s, column),
            _ => throw new ArgumentException($"column '{column}' holds a {value.GetType().Name}, not a number", nameof(row)),
        };
    }

    private static double ParseNumber(string s, string column) => s.Trim() switch
    {
        "" or "nan" or "NaN" => double.NaN,
        "inf" or "Infinity" => double.PositiveInfinity,
        "-inf" or "-Infinity" => double.NegativeInfinity,
        var t when double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => throw new ArgumentException($"column '{column}' holds '{s}', not a number"),
    };

    // The one averaging path of both entry points, so the two cannot drift apart: metrics in
    // MetricNames order, rows in the given order, NaN skipped, a left-to-right sum divided by the count.
    private static ModelSummary Build<TRow>(IReadOnlyList<TRow> rows, bool hasMp, Func<TRow, string, double> value)
    {
        var values = new List<KeyValuePair<string, double>>();
        if (rows.Count == 0)
        {
            return new ModelSummary(values);
        }
        foreach (var name in MetricNames)
        {
            if (name == "mp_softrank" && !hasMp)
            {
                continue;
            }
            values.Add(new(name, MeanSkippingNaN(rows.Select(r => value(r, name)))));
        }
        return new ModelSummary(values);
    }

    /// <summary>The mean of the non-NaN values (a sequential sum, as the reference's pandas mean of a short column); NaN when none.</summary>
    public static double MeanSkippingNaN(IEnumerable<double> values)
    {
        double sum = 0;
        int count = 0;
        foreach (var v in values)
        {
            if (!double.IsNaN(v))
            {
                sum += v;
                count++;
            }
        }
        return count == 0 ? double.NaN : sum / count;
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
