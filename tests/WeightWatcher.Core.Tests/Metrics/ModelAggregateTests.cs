using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Metrics;
using WeightWatcher.Core.Tests.Parity;
using WeightWatcher.Core.Tests.Support;
using WeightWatcher.Reports;

namespace WeightWatcher.Core.Tests.Metrics;

public sealed class ModelAggregateTests
{
    public static TheoryData<string> OptionSets() => new("default", "mpfit", "slices");

    private static AnalysisOptions Options(string name) => name switch
    {
        "default" => new AnalysisOptions(),
        "mpfit" => new AnalysisOptions { MpFit = true },
        "slices" => new AnalysisOptions { Pool = false },
        _ => throw new ArgumentException(name),
    };

    internal static List<IReadOnlyDictionary<string, object?>> TableRows(AnalysisResult result) =>
        result.Rows
            .Select(r => (IReadOnlyDictionary<string, object?>)LayerTable.AnalyzeColumns(result.Options).ToDictionary(c => c, c => LayerTable.Value(r, c)))
            .ToList();

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void Summary_of_table_rows_equals_the_analyzers_bit_for_bit(string options)
    {
        var result = GoldenParityTests.AnalyzeReferenceModel(Options(options), Backends.Create(Backends.Managed));
        Assert.Equal(result.Summary.Values, ModelSummary.From(result.Rows).Values);
        var rows = TableRows(result);

        AssertBitEqual(result.Summary, ModelSummary.FromRows(rows));
        var aggregate = ModelAggregate.From(rows, failedLayers: 2);
        AssertBitEqual(result.Summary, aggregate.Summary);
        Assert.Equal(options == "mpfit", aggregate.Summary["mp_softrank"] is not null);
        Assert.Equal(2, aggregate.FailedLayers);
        Assert.Equal(result.Rows.Select(r => r.Layer.LayerId).Distinct().Count(), aggregate.Layers);
        if (options == "slices")
        {
            Assert.True(aggregate.Layers < rows.Count, "pool=false should give several slices of one layer");
        }

        var alphas = result.Rows.Select(r => r.Alpha).Where(double.IsFinite).Order().ToArray();
        Assert.Equal(alphas.Count(a => a < 2) / (double)alphas.Length, aggregate.ShareAlphaBelow2);
        Assert.Equal(alphas.Count(a => a > 6) / (double)alphas.Length, aggregate.ShareAlphaAbove6);
        Assert.InRange(aggregate.MedianAlpha, alphas[0], alphas[^1]);
    }

    [Fact]
    public void Summary_survives_a_text_round_trip_of_the_cells()
    {
        // As after JSON: integers come back as long, and numbers may arrive as the text CellFormatter writes.
        var result = GoldenParityTests.AnalyzeReferenceModel(new AnalysisOptions { MpFit = true }, Backends.Create(Backends.Managed));
        var rows = TableRows(result)
            .Select(r => (IReadOnlyDictionary<string, object?>)r.ToDictionary(
                kv => kv.Key,
                kv => kv.Value switch
                {
                    int i => (object?)(long)i,
                    double d => CellFormatter.Format(d),
                    var v => v,
                }))
            .ToList();
        AssertBitEqual(result.Summary, ModelAggregate.From(rows, 0).Summary);
    }

    [Fact]
    public void Median_shares_and_layer_count_by_hand()
    {
        var rows = new List<IReadOnlyDictionary<string, object?>>
        {
            Row(1, 0, 1.5, 1.0),
            Row(1, 1, 3.0, 2.0),
            Row(2, 0, 7.0, null),
            Row(3L, 0, double.NaN, 4),
            Row(5, 0, 2.5, "0.5"),
        };
        var a = ModelAggregate.From(rows, 1);
        Assert.Equal(4, a.Layers);
        Assert.Equal(1, a.FailedLayers);
        // Finite alphas sorted: 1.5, 2.5, 3, 7.
        Assert.Equal(2.75, a.MedianAlpha);
        Assert.Equal(0.25, a.ShareAlphaBelow2);
        Assert.Equal(0.25, a.ShareAlphaAbove6);
        Assert.Equal(3.5, a.Summary["alpha"]);
        Assert.Equal(1.875, a.Summary["log_norm"]);
        Assert.True(double.IsNaN(a.Summary["alpha_weighted"]!.Value));
        Assert.Null(a.Summary["mp_softrank"]);

        var odd = ModelAggregate.From(rows.Take(3).ToList(), 0);
        Assert.Equal(3.0, odd.MedianAlpha);
        Assert.Equal(1 / 3.0, odd.ShareAlphaAbove6);
    }

    [Fact]
    public void Mp_softrank_appears_when_one_row_has_it()
    {
        var withMp = new Dictionary<string, object?>(Row(2, 0, 3.0, 1.0)) { ["mp_softrank"] = 0.3 };
        var rows = new List<IReadOnlyDictionary<string, object?>> { Row(1, 0, 2.0, 1.0), withMp };
        Assert.Equal(0.3, ModelAggregate.From(rows, 0).Summary["mp_softrank"]);
    }

    [Fact]
    public void Edge_cases_and_bad_rows()
    {
        var empty = ModelAggregate.From([], 3);
        Assert.Empty(empty.Summary.Values);
        Assert.Equal(0, empty.Layers);
        Assert.True(double.IsNaN(empty.MedianAlpha) && double.IsNaN(empty.ShareAlphaBelow2));

        var noAlpha = ModelAggregate.From([Row(1, 0, double.PositiveInfinity, 1.0)], 0);
        Assert.True(double.IsNaN(noAlpha.MedianAlpha));
        Assert.Equal(double.PositiveInfinity, noAlpha.Summary["alpha"]);

        Assert.Throws<ArgumentException>(() => ModelAggregate.From([new Dictionary<string, object?> { ["alpha"] = 2.0 }], 0));
        Assert.Throws<ArgumentException>(() => ModelAggregate.From([Row(1.5, 0, 2.0, 1.0)], 0));
        Assert.Throws<ArgumentException>(() => ModelAggregate.From([new Dictionary<string, object?>(Row(1, 0, 2.0, 1.0)) { ["alpha"] = true }], 0));
        Assert.Throws<ArgumentException>(() => ModelAggregate.From([Row(1, 0, 2.0, "abc")], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelAggregate.From([], -1));
    }

    private static Dictionary<string, object?> Row(object layerId, int slice, double alpha, object? logNorm) => new()
    {
        ["layer_id"] = layerId,
        ["slice_id"] = slice,
        ["alpha"] = alpha,
        ["log_norm"] = logNorm,
        ["name"] = $"layer{layerId}",
    };

    private static void AssertBitEqual(ModelSummary expected, ModelSummary actual)
    {
        Assert.Equal(expected.Values.Select(kv => kv.Key), actual.Values.Select(kv => kv.Key));
        foreach (var (e, a) in expected.Values.Zip(actual.Values))
        {
            Assert.True(
                BitConverter.DoubleToInt64Bits(e.Value) == BitConverter.DoubleToInt64Bits(a.Value),
                $"{e.Key}: {e.Value:R} vs {a.Value:R}");
        }
        Assert.NotEmpty(expected.Values);
    }
}
