namespace WeightWatcher.Core.Metrics;

/// <summary>
/// One model's aggregate of its analyzed layer rows, for comparing models of a zoo: the reference's
/// summary plus counts and the distribution of alpha (the paper reads alpha &lt; 2 as over-trained and
/// alpha &gt; 6 as under-trained layers).
/// </summary>
/// <param name="Summary">The per-metric means, exactly as <see cref="ModelSummary.From"/> computes them.</param>
/// <param name="Layers">Distinct <c>layer_id</c> values among the rows (slices of one layer count once).</param>
/// <param name="FailedLayers">Layers that could not be analyzed, as reported by the caller.</param>
/// <param name="MedianAlpha">Median of the finite alphas (mean of the middle two for an even count); NaN when none.</param>
/// <param name="ShareAlphaBelow2">Fraction of rows with finite alpha whose alpha is &lt; 2; NaN when none.</param>
/// <param name="ShareAlphaAbove6">Fraction of rows with finite alpha whose alpha is &gt; 6; NaN when none.</param>
public sealed record ModelAggregate(ModelSummary Summary, int Layers, int FailedLayers, double MedianAlpha, double ShareAlphaBelow2, double ShareAlphaAbove6)
{
    /// <summary>
    /// Aggregates a model's analyzed rows, given in layer order (<c>layer_id</c>, then <c>slice_id</c>) as
    /// column-to-value maps with the layer table's column names (see <see cref="ModelSummary.FromRows"/>
    /// for the accepted values).
    /// </summary>
    /// <param name="rows">The rows; each needs an integral <c>layer_id</c>.</param>
    /// <param name="failedLayers">Layers of the model that failed (not among <paramref name="rows"/>).</param>
    /// <exception cref="ArgumentException">A row lacks an integral <c>layer_id</c>, a metric cell is not a number, or <paramref name="failedLayers"/> is negative.</exception>
    public static ModelAggregate From(IReadOnlyList<IReadOnlyDictionary<string, object?>> rows, int failedLayers)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(failedLayers);
        var layerIds = new HashSet<long>();
        foreach (var row in rows)
        {
            double id = ModelSummary.RowNumber(row, "layer_id");
            if (!double.IsFinite(id) || id != Math.Floor(id))
            {
                throw new ArgumentException("every row needs an integral layer_id", nameof(rows));
            }
            layerIds.Add((long)id);
        }
        var alphas = rows.Select(r => ModelSummary.RowNumber(r, "alpha")).Where(double.IsFinite).ToArray();
        Array.Sort(alphas);
        return new ModelAggregate(
            ModelSummary.FromRows(rows),
            layerIds.Count,
            failedLayers,
            Median(alphas),
            Share(alphas, a => a < 2.0),
            Share(alphas, a => a > 6.0));
    }

    private static double Median(double[] sorted)
    {
        int n = sorted.Length;
        if (n == 0)
        {
            return double.NaN;
        }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    private static double Share(double[] values, Func<double, bool> predicate) =>
        values.Length == 0 ? double.NaN : (double)values.Count(predicate) / values.Length;
}
