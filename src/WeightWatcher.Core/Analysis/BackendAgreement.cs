using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Core.Analysis;

/// <summary>
/// How closely two spectral backends agree on a model: every column of every analyzed row, compared. The
/// managed Math.NET provider does not depend on the CPU's kernels, so agreement with it checks an OpenBLAS
/// build and kernel family (<c>OPENBLAS_CORETYPE</c>) on new hardware before it analyzes a zoo.
/// </summary>
public static class BackendAgreement
{
    /// <summary>The outcome of <see cref="Compare"/>.</summary>
    /// <param name="Rows">Rows compared.</param>
    /// <param name="Values">Cells compared.</param>
    /// <param name="MaxRelativeDifference">Largest |a - b| / |b| over numeric cells (infinite when a text or integer cell differs).</param>
    /// <param name="Worst">The row and column where it occurs, with both values.</param>
    public sealed record Result(int Rows, int Values, double MaxRelativeDifference, string Worst);

    /// <summary>
    /// Analyzes <paramref name="model"/> with both backends under <paramref name="options"/> and compares
    /// the rows cell by cell.
    /// </summary>
    /// <exception cref="InvalidOperationException">The two analyses did not produce the same layers.</exception>
    public static Result Compare(IModelReader model, ISpectralBackend candidate, ISpectralBackend baseline, AnalysisOptions options)
    {
        var a = new Analyzer(candidate).Analyze(model, options);
        var b = new Analyzer(baseline).Analyze(model, options);
        if (a.Rows.Count != b.Rows.Count || a.Failures.Count != b.Failures.Count)
        {
            throw new InvalidOperationException($"{candidate.Name} analyzed {a.Rows.Count} rows ({a.Failures.Count} failed), {baseline.Name} {b.Rows.Count} ({b.Failures.Count} failed)");
        }
        double worst = 0;
        string where = "none";
        int values = 0;
        var columns = LayerTable.AnalyzeColumns(options);
        for (int r = 0; r < a.Rows.Count; r++)
        {
            foreach (var column in columns)
            {
                var x = LayerTable.Value(a.Rows[r], column);
                var y = LayerTable.Value(b.Rows[r], column);
                values++;
                double d = Difference(x, y);
                if (d > worst)
                {
                    worst = d;
                    where = $"{a.Rows[r].Layer.Name} {column}: {x} vs {y}";
                }
            }
        }
        return new Result(a.Rows.Count, values, worst, where);
    }

    private static double Difference(object? x, object? y) => (x, y) switch
    {
        (double p, double q) when double.IsNaN(p) && double.IsNaN(q) => 0,
        (double p, double q) when p == q => 0,
        (double p, double q) when double.IsNaN(p) || double.IsNaN(q) => double.PositiveInfinity,
        (double p, double q) => Math.Abs(p - q) / Math.Max(Math.Abs(q), double.Epsilon),
        _ => Equals(x, y) ? 0 : double.PositiveInfinity,
    };
}
