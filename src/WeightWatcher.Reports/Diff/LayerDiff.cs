using WeightWatcher.Core.Metrics;
using WeightWatcher.Reports.History;
using WeightWatcher.Reports.Zoo;

namespace WeightWatcher.Reports.Diff;

/// <summary>One layer compared: its values in A and B, and whether it changed alpha band.</summary>
/// <param name="Model">The model ("" when two single models are compared).</param>
/// <param name="LayerId">The layer id.</param>
/// <param name="Name">The layer name (from B, else A).</param>
/// <param name="Status"><c>both</c>, <c>only_a</c> or <c>only_b</c>.</param>
/// <param name="A">Metric values in A (empty when absent).</param>
/// <param name="B">Metric values in B (empty when absent).</param>
/// <param name="Band"><c>left [2,6]</c>, <c>entered [2,6]</c> or empty.</param>
public sealed record LayerDelta(string Model, int LayerId, string Name, string Status, IReadOnlyDictionary<string, double> A, IReadOnlyDictionary<string, double> B, string Band);

/// <summary>
/// <c>ww diff</c>: two models or two runs compared layer by layer (pooled rows; the first row of a
/// layer with <c>pool=false</c>): each metric in A and B and its delta, layers only in one of them, and
/// alpha-band changes (a layer leaving or entering alpha in [2, 6]).
/// </summary>
public static class LayerDiff
{
    /// <summary>The metrics compared.</summary>
    public static readonly IReadOnlyList<string> Metrics = ["alpha", "alpha_weighted", "log_norm", "log_spectral_norm", "stable_rank", "D"];

    /// <summary>Compares layer rows (the layer table's columns, <c>model</c> included for runs) of A and B.</summary>
    public static IReadOnlyList<LayerDelta> Compare(IReadOnlyList<IReadOnlyDictionary<string, object?>> a, IReadOnlyList<IReadOnlyDictionary<string, object?>> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var left = Index(a);
        var right = Index(b);
        return left.Keys.Union(right.Keys)
            .OrderBy(k => k.Model, StringComparer.Ordinal).ThenBy(k => k.Id)
            .Select(k =>
            {
                var ra = left.GetValueOrDefault(k);
                var rb = right.GetValueOrDefault(k);
                var va = Values(ra);
                var vb = Values(rb);
                string band = va.TryGetValue("alpha", out var x) && vb.TryGetValue("alpha", out var y) && ChangeReport.InBand(x) != ChangeReport.InBand(y)
                    ? (ChangeReport.InBand(x) ? "left [2,6]" : "entered [2,6]")
                    : "";
                string name = (rb ?? ra)!.GetValueOrDefault("name")?.ToString() ?? "";
                return new LayerDelta(k.Model, k.Id, name, ra is null ? "only_b" : rb is null ? "only_a" : "both", va, vb, band);
            })
            .ToList();
    }

    /// <summary>The columns of the diff table.</summary>
    public static IReadOnlyList<string> Columns(bool withModel) =>
        [.. withModel ? ["model"] : Array.Empty<string>(), "layer_id", "name", "status", .. Metrics.SelectMany(m => new[] { $"{m}_a", $"{m}_b", $"delta_{m}" }), "alpha_band"];

    /// <summary>A delta's cell in column <paramref name="column"/> of <see cref="Columns"/>.</summary>
    public static object? Cell(LayerDelta d, string column)
    {
        ArgumentNullException.ThrowIfNull(d);
        switch (column)
        {
            case "model": return d.Model;
            case "layer_id": return d.LayerId;
            case "name": return d.Name;
            case "status": return d.Status;
            case "alpha_band": return d.Band;
        }
        if (column.StartsWith("delta_", StringComparison.Ordinal))
        {
            string m = column[6..];
            return d.A.TryGetValue(m, out var x) && d.B.TryGetValue(m, out var y) ? y - x : null;
        }
        string metric = column[..^2];
        var side = column.EndsWith("_a", StringComparison.Ordinal) ? d.A : d.B;
        return side.TryGetValue(metric, out var v) ? v : null;
    }

    /// <summary>The diff as CSV and JSON (the zoo reports' writers: NaN blank in CSV, null in JSON).</summary>
    public static (byte[] Csv, byte[] Json) Write(IReadOnlyList<LayerDelta> deltas, bool withModel)
    {
        var columns = Columns(withModel);
        var rows = deltas.Select(d => columns.Select(c => Cell(d, c)).ToArray()).ToList();
        var kinds = columns.Select((c, i) => ReportTable.Infer(rows.Select(r => r[i]))).ToList();
        var table = new ReportTable(columns, kinds, rows);
        return (table.ToCsv(), table.ToJson());
    }

    private static Dictionary<(string Model, int Id), IReadOnlyDictionary<string, object?>> Index(IReadOnlyList<IReadOnlyDictionary<string, object?>> rows)
    {
        var index = new Dictionary<(string, int), IReadOnlyDictionary<string, object?>>();
        foreach (var r in rows)
        {
            index.TryAdd((r.GetValueOrDefault("model")?.ToString() ?? "", (int)ModelSummary.RowNumber(r, "layer_id")), r);
        }
        return index;
    }

    private static Dictionary<string, double> Values(IReadOnlyDictionary<string, object?>? row) =>
        row is null ? [] : Metrics.Where(row.ContainsKey).ToDictionary(m => m, m => ModelSummary.RowNumber(row, m), StringComparer.Ordinal);
}
