using WeightWatcher.Core.Metrics;
using WeightWatcher.Core.Regression;

namespace WeightWatcher.Reports.Zoo;

/// <summary>
/// The report of a zoo job: every layer of every model, one line per model, and per series the paper's
/// regression of reported accuracy on each summary metric. Pure: it returns file contents and the
/// caller stores them.
/// </summary>
public static class ZooReport
{
    /// <summary>Columns of <c>series.csv</c>.</summary>
    public static readonly IReadOnlyList<string> SeriesColumns = ["series", "metric", "n", "slope", "intercept", "rmse", "r2", "kendall_tau"];

    /// <summary>
    /// Builds <c>layers.csv</c> (<c>model</c>, then <see cref="ZooReportInput.LayerColumns"/>; models in
    /// ordinal order, each model's rows in the given order), <c>models.csv</c> (<c>model</c>, <c>series</c>,
    /// <c>top1_acc</c>, the catalog's extra columns (prefixed <c>catalog_</c> where a name is taken), <c>layers</c>, <c>failed_layers</c>, <c>skipped_layers</c>, the summary metrics
    /// some model has, <c>median_alpha</c>, <c>share_alpha_lt_2</c>, <c>share_alpha_gt_6</c>) and
    /// <c>series.csv</c> (see <see cref="Series"/>); their JSON twins (arrays of objects, NaN and
    /// infinities as null); and <c>layers.parquet</c> and <c>models.parquet</c> (numbers as nullable
    /// doubles with NaN as null, booleans as nullable booleans, the rest as strings; a layer column with
    /// no value is numeric).
    /// </summary>
    /// <exception cref="ArgumentException">Two models share a name, a layer column is called <c>model</c>,
    /// or a row cannot be aggregated (see <see cref="ModelAggregate.From"/>).</exception>
    public static IReadOnlyList<ReportFile> Build(ZooReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.LayerColumns.Contains("model"))
        {
            throw new ArgumentException("'model' is the report's own first column and cannot be a layer column", nameof(input));
        }
        var models = input.Models.OrderBy(m => m.Model, StringComparer.Ordinal).ToList();
        RequireUniqueNames(models.Select(m => m.Model), nameof(input));
        var aggregates = models.Select(m => (m.Model, ModelAggregate.From(m.Rows, m.FailedLayers))).ToList();
        var skipped = models.ToDictionary(m => m.Model, m => m.SkippedLayers, StringComparer.Ordinal);

        var layers = LayersTable(models, input.LayerColumns);
        var summaries = ModelsTable(aggregates, skipped, input.Catalog);
        var series = SeriesTable(Series(aggregates, input.Catalog));
        return
        [
            new("layers.csv", layers.ToCsv()),
            new("models.csv", summaries.ToCsv()),
            new("series.csv", series.ToCsv()),
            new("layers.json", layers.ToJson()),
            new("models.json", summaries.ToJson()),
            new("series.json", series.ToJson()),
            new("layers.parquet", layers.ToParquet()),
            new("models.parquet", summaries.ToParquet()),
        ];
    }

    /// <summary>
    /// Per series (ordinal order), per summary metric (<see cref="ModelSummary.MetricNames"/> order): the
    /// least-squares fit of accuracy on the models' mean metric, over the catalog's models of that series
    /// that have an accuracy and a finite value of the metric, when there are at least 3 of them. Models
    /// not in the catalog, or without series or accuracy, take no part. No catalog: no rows.
    /// </summary>
    /// <exception cref="ArgumentException">Two models share a name.</exception>
    public static IReadOnlyList<SeriesRow> Series(IReadOnlyList<(string Model, ModelAggregate Aggregate)> models, ZooCatalog? catalog)
    {
        ArgumentNullException.ThrowIfNull(models);
        RequireUniqueNames(models.Select(m => m.Model), nameof(models));
        var rows = new List<SeriesRow>();
        if (catalog is null)
        {
            return rows;
        }
        var members = models
            .Select(m => (m.Model, m.Aggregate, Entry: catalog.Find(m.Model)))
            .Where(m => m.Entry is { Series: not null, Accuracy: not null })
            .GroupBy(m => m.Entry!.Series!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in members)
        {
            var ordered = group.OrderBy(m => m.Model, StringComparer.Ordinal).ToList();
            foreach (var metric in ModelSummary.MetricNames)
            {
                var pairs = ordered
                    .Select(m => (X: m.Aggregate.Summary[metric] ?? double.NaN, Y: m.Entry!.Accuracy!.Value))
                    .Where(p => double.IsFinite(p.X))
                    .ToList();
                if (pairs.Count >= MinimumModels)
                {
                    rows.Add(new SeriesRow(group.Key, metric, SeriesRegression.Fit(pairs.Select(p => p.X).ToList(), pairs.Select(p => p.Y).ToList())));
                }
            }
        }
        return rows;
    }

    // Fewer points than this make a line through them (two) or a fit with one degree of freedom: no evidence.
    private const int MinimumModels = 3;

    private static ReportTable LayersTable(IReadOnlyList<ZooLayerRows> models, IReadOnlyList<string> layerColumns)
    {
        var rows = models
            .SelectMany(m => m.Rows.Select(r => (object?[])[m.Model, .. layerColumns.Select(c => r.GetValueOrDefault(c))]))
            .ToList();
        var kinds = new List<ColumnKind> { ColumnKind.Text };
        kinds.AddRange(layerColumns.Select((_, c) => ReportTable.Infer(rows.Select(r => r[c + 1]))));
        return new ReportTable(["model", .. layerColumns], kinds, rows);
    }

    private static ReportTable ModelsTable(IReadOnlyList<(string Model, ModelAggregate Aggregate)> aggregates, IReadOnlyDictionary<string, int> skipped, ZooCatalog? catalog)
    {
        var extras = catalog?.ExtraColumns ?? [];
        var metrics = ModelSummary.MetricNames.Where(n => aggregates.Any(a => a.Aggregate.Summary[n] is not null)).ToList();
        string[] tail = ["median_alpha", "share_alpha_lt_2", "share_alpha_gt_6"];
        var own = new HashSet<string>(["model", "series", "top1_acc", "layers", "failed_layers", "skipped_layers", .. ModelSummary.MetricNames, .. tail], StringComparer.Ordinal);
        // A catalog column that shares a name with one of ours (say "layers") is kept under another name.
        var extraNames = extras.Select(c => own.Contains(c) ? "catalog_" + c : c);
        string[] columns = ["model", "series", "top1_acc", .. extraNames, "layers", "failed_layers", "skipped_layers", .. metrics, .. tail];
        ColumnKind[] kinds =
        [
            ColumnKind.Text, ColumnKind.Text, ColumnKind.Number, .. extras.Select(_ => ColumnKind.Text),
            .. Enumerable.Repeat(ColumnKind.Number, 3 + metrics.Count + tail.Length),
        ];
        var rows = aggregates.Select(a =>
        {
            var entry = catalog?.Find(a.Model);
            var ag = a.Aggregate;
            return (object?[])
            [
                a.Model, entry?.Series, entry?.Accuracy, .. extras.Select(c => entry?.Extra.GetValueOrDefault(c)),
                ag.Layers, ag.FailedLayers, skipped[a.Model], .. metrics.Select(n => ag.Summary[n]),
                ag.MedianAlpha, ag.ShareAlphaBelow2, ag.ShareAlphaAbove6,
            ];
        }).ToList();
        return new ReportTable(columns, kinds, rows);
    }

    private static ReportTable SeriesTable(IReadOnlyList<SeriesRow> series)
    {
        ColumnKind[] kinds = [ColumnKind.Text, ColumnKind.Text, .. Enumerable.Repeat(ColumnKind.Number, SeriesColumns.Count - 2)];
        var rows = series
            .Select(s => (object?[])[s.Series, s.Metric, s.Fit.N, s.Fit.Slope, s.Fit.Intercept, s.Fit.Rmse, s.Fit.R2, s.Fit.KendallTau])
            .ToList();
        return new ReportTable(SeriesColumns, kinds, rows);
    }

    private static void RequireUniqueNames(IEnumerable<string> names, string parameter)
    {
        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"model '{duplicate.Key}' appears more than once", parameter);
        }
    }
}
