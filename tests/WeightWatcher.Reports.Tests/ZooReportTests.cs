using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Metrics;
using WeightWatcher.Core.Regression;
using WeightWatcher.Reports;
using WeightWatcher.Reports.Zoo;

namespace WeightWatcher.Reports.Tests;

public sealed class ZooReportTests
{
    private static readonly AnalysisOptions Options = new();

    private const string CatalogCsv =
        "model,series,top1_acc,source\n" +
        "m1,A,70.5,\"paper, table 1\"\n" +
        "m2,A,72,paper\n" +
        "m3,A,71.25,paper\n" +
        "m4,A,75,paper\n" +
        "m5,B,80,paper\n" +
        "broken,A,,paper\n";

    // Five small heavy-tailed models that differ by seed, one model of failed layers only, and one
    // model the catalog does not know; given out of order, as a cluster would deliver them.
    private static readonly Lazy<(ZooReportInput Input, Dictionary<string, AnalysisResult> Results)> Zoo = new(() =>
    {
        var results = new Dictionary<string, AnalysisResult>(StringComparer.Ordinal);
        foreach (var (name, seed) in new[] { ("m4", 40UL), ("orphan", 60UL), ("m2", 20UL), ("m1", 10UL), ("m5", 50UL), ("m3", 30UL) })
        {
            using var reader = new InMemoryModelReader()
                .Add("fc1.weight", [96, 48], InMemoryModelReader.Values(seed, 96 * 48))
                .Add("fc2.weight", [40, 64], InMemoryModelReader.Values(seed + 1, 40 * 64))
                .Add("conv.weight", [16, 8, 2, 2], InMemoryModelReader.Values(seed + 2, 16 * 8 * 4));
            results[name] = new Analyzer(Backends.Create(Backends.Managed)).Analyze(reader, Options);
        }
        var models = results.Select(kv => new ZooLayerRows(kv.Key, Rows(kv.Value), kv.Value.Failures.Count)).ToList();
        models.Add(new ZooLayerRows("broken", [], 3) { SkippedLayers = 2 });
        var catalog = ZooCatalog.Parse(CatalogCsv, "catalog.csv");
        return (new ZooReportInput(models, catalog, LayerTable.AnalyzeColumns(Options)), results);
    });

    private static List<IReadOnlyDictionary<string, object?>> Rows(AnalysisResult r) =>
        r.Rows.Select(row => (IReadOnlyDictionary<string, object?>)LayerTable.AnalyzeColumns(Options).ToDictionary(c => c, c => LayerTable.Value(row, c))).ToList();

    private static Dictionary<string, byte[]> Build() => ZooReport.Build(Zoo.Value.Input).ToDictionary(f => f.Name, f => f.Content);

    private static string[] Lines(byte[] content) => Encoding.UTF8.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Builds_the_eight_files()
    {
        Assert.Equal(
            ["layers.csv", "models.csv", "series.csv", "layers.json", "models.json", "series.json", "layers.parquet", "models.parquet"],
            ZooReport.Build(Zoo.Value.Input).Select(f => f.Name));
    }

    [Fact]
    public void Layers_csv_has_model_first_models_in_ordinal_order_and_round_trips()
    {
        var (input, results) = Zoo.Value;
        var lines = Lines(Build()["layers.csv"]);
        Assert.Equal("model," + string.Join(",", input.LayerColumns), lines[0]);
        Assert.Equal(results.Values.Sum(r => r.Rows.Count) + 1, lines.Length);
        var cells = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(["m1", "m2", "m3", "m4", "m5", "orphan"], cells.Select(c => c[0]).Distinct());
        Assert.Equal(cells.Select(c => c[0]).Order(StringComparer.Ordinal), cells.Select(c => c[0]));

        // m2's second row, cell by cell; its doubles parse back to the very same bits.
        var row = results["m2"].Rows[1];
        var cellsOfRow = cells.Where(c => c[0] == "m2").ElementAt(1);
        for (int c = 0; c < input.LayerColumns.Count; c++)
        {
            var value = LayerTable.Value(row, input.LayerColumns[c]);
            Assert.Equal(CellFormatter.Format(value), cellsOfRow[c + 1]);
            if (value is double d && double.IsFinite(d))
            {
                Assert.Equal(d, double.Parse(cellsOfRow[c + 1], CultureInfo.InvariantCulture));
            }
        }
    }

    [Fact]
    public void Models_csv_lists_catalog_facts_counts_and_the_summary()
    {
        var (_, results) = Zoo.Value;
        var lines = Lines(Build()["models.csv"]);
        Assert.Equal(
            "model,series,top1_acc,source,layers,failed_layers,skipped_layers,log_norm,alpha,alpha_weighted,log_alpha_norm,log_spectral_norm,stable_rank,median_alpha,share_alpha_lt_2,share_alpha_gt_6",
            lines[0]);
        // The report's own CSV is a valid catalog: read it back with the catalog reader.
        var table = ZooCatalog.Parse(Encoding.UTF8.GetString(Build()["models.csv"]), "models.csv");
        Assert.Equal(["broken", "m1", "m2", "m3", "m4", "m5", "orphan"], table.Entries.Select(e => e.Model));
        var m1 = table.Find("m1")!;
        Assert.Equal(("A", 70.5), (m1.Series, m1.Accuracy));
        Assert.Equal("paper, table 1", m1.Extra["source"]);
        Assert.Equal("3", m1.Extra["layers"]);
        var summary = ModelSummary.From(results["m1"].Rows);
        foreach (var metric in new[] { "alpha", "alpha_weighted", "log_norm" })
        {
            Assert.Equal(summary[metric]!.Value, double.Parse(m1.Extra[metric], CultureInfo.InvariantCulture));
        }
        var broken = table.Find("broken")!;
        Assert.Equal(("0", "3", "2", ""), (broken.Extra["layers"], broken.Extra["failed_layers"], broken.Extra["skipped_layers"], broken.Extra["alpha"]));
        Assert.Equal("0", m1.Extra["skipped_layers"]);
        Assert.Null(table.Find("orphan")!.Series);
    }

    [Fact]
    public void Series_rows_are_the_regressions_of_accuracy_on_the_model_summaries()
    {
        var (input, results) = Zoo.Value;
        var aggregates = input.Models.Select(m => (m.Model, ModelAggregate.From(m.Rows, m.FailedLayers))).ToList();
        var series = ZooReport.Series(aggregates, input.Catalog);
        // Series B has one model and "broken" has no accuracy: only A's four models, one row per metric present.
        string[] metrics = ["log_norm", "alpha", "alpha_weighted", "log_alpha_norm", "log_spectral_norm", "stable_rank"];
        Assert.Equal(metrics, series.Select(s => s.Metric));
        Assert.All(series, s => Assert.Equal("A", s.Series));
        string[] members = ["m1", "m2", "m3", "m4"];
        double[] accuracy = [70.5, 72, 71.25, 75];
        foreach (var row in series)
        {
            var expected = SeriesRegression.Fit(members.Select(m => ModelSummary.From(results[m].Rows)[row.Metric]!.Value).ToList(), accuracy);
            Assert.Equal(expected, row.Fit);
            Assert.Equal(4, row.Fit.N);
        }

        var lines = Lines(Build()["series.csv"]);
        Assert.Equal(string.Join(",", ZooReport.SeriesColumns), lines[0]);
        Assert.Equal(metrics.Length + 1, lines.Length);
        var alpha = series.Single(s => s.Metric == "alpha").Fit;
        var alphaLine = lines.Single(l => l.StartsWith("A,alpha,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(alpha.Rmse, double.Parse(alphaLine[5], CultureInfo.InvariantCulture));
        Assert.Equal(alpha.KendallTau, double.Parse(alphaLine[7], CultureInfo.InvariantCulture));

        Assert.Empty(ZooReport.Series(aggregates, null));
        Assert.Single(Lines(ZooReport.Build(input with { Catalog = null }).Single(f => f.Name == "series.csv").Content));
    }

    [Fact]
    public async Task Parquet_files_read_back()
    {
        var (input, results) = Zoo.Value;
        var files = Build();

        await using (var layers = await ParquetReader.CreateAsync(new MemoryStream(files["layers.parquet"])))
        {
            using var group = layers.OpenRowGroupReader(0);
            int count = results.Values.Sum(r => r.Rows.Count);
            Assert.Equal(count, group.RowCount);
            Assert.Equal(["model", .. input.LayerColumns], layers.Schema.DataFields.Select(f => f.Name));
            var models = new string?[count];
            await group.ReadAsync(layers.Schema.FindDataField("model"), models.AsMemory());
            var alpha = new double?[count];
            await group.ReadAsync<double>(layers.Schema.FindDataField("alpha"), alpha.AsMemory());
            int first = Array.IndexOf(models, "m3");
            Assert.Equal(results["m3"].Rows[0].Alpha, alpha[first]);
            var layerIds = new double?[count];
            await group.ReadAsync<double>(layers.Schema.FindDataField("layer_id"), layerIds.AsMemory());
            Assert.Equal(results["m3"].Rows[0].Layer.LayerId, layerIds[first]);
        }

        await using var summary = await ParquetReader.CreateAsync(new MemoryStream(files["models.parquet"]));
        using var rows = summary.OpenRowGroupReader(0);
        Assert.Equal(7, rows.RowCount);
        var accuracy = new double?[7];
        await rows.ReadAsync<double>(summary.Schema.FindDataField("top1_acc"), accuracy.AsMemory());
        // Ordinal order: broken, m1, m2, m3, m4, m5, orphan.
        Assert.Equal([null, 70.5, 72, 71.25, 75, 80, null], accuracy);
        var median = new double?[7];
        await rows.ReadAsync<double>(summary.Schema.FindDataField("median_alpha"), median.AsMemory());
        Assert.Null(median[0]);
        Assert.Equal(ModelAggregate.From(Rows(results["m1"]), 0).MedianAlpha, median[1]);
    }

    [Fact]
    public void Json_twins_parse_and_hold_the_same_rows()
    {
        var (_, results) = Zoo.Value;
        var files = Build();
        using var layers = JsonDocument.Parse(files["layers.json"]);
        Assert.Equal(results.Values.Sum(r => r.Rows.Count), layers.RootElement.GetArrayLength());
        var firstLayer = layers.RootElement[0];
        Assert.Equal("m1", firstLayer.GetProperty("model").GetString());
        Assert.Equal(results["m1"].Rows[0].Alpha, firstLayer.GetProperty("alpha").GetDouble());
        Assert.Equal(JsonValueKind.True, firstLayer.GetProperty("has_esd").ValueKind);

        using var models = JsonDocument.Parse(files["models.json"]);
        var broken = models.RootElement[0];
        Assert.Equal("broken", broken.GetProperty("model").GetString());
        Assert.Equal(JsonValueKind.Null, broken.GetProperty("median_alpha").ValueKind);
        Assert.Equal(JsonValueKind.Null, broken.GetProperty("top1_acc").ValueKind);
        Assert.Equal(3, broken.GetProperty("failed_layers").GetInt32());
        Assert.Equal("paper, table 1", models.RootElement[1].GetProperty("source").GetString());

        using var series = JsonDocument.Parse(files["series.json"]);
        Assert.Equal(6, series.RootElement.GetArrayLength());
        Assert.Equal(4, series.RootElement[0].GetProperty("n").GetInt32());
    }

    [Fact]
    public void Duplicate_models_and_a_model_layer_column_are_rejected()
    {
        var input = Zoo.Value.Input;
        var twice = input with { Models = [.. input.Models, input.Models[0]] };
        Assert.Throws<ArgumentException>(() => ZooReport.Build(twice));
        Assert.Throws<ArgumentException>(() => ZooReport.Build(input with { LayerColumns = ["model", "alpha"] }));
    }

    [Fact]
    public void A_catalog_column_named_like_a_report_column_is_renamed()
    {
        var catalog = ZooCatalog.Parse("model,layers\nm1,many\n", "c.csv");
        var input = new ZooReportInput([Zoo.Value.Input.Models.Single(m => m.Model == "m1")], catalog, Zoo.Value.Input.LayerColumns);
        var header = Lines(ZooReport.Build(input).Single(f => f.Name == "models.csv").Content)[0].Split(',');
        Assert.Equal(["model", "series", "top1_acc", "catalog_layers", "layers"], header.Take(5));
    }
}
