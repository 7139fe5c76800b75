using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Metrics;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Synthetic;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Parity;

/// <summary>
/// Parity with the reference tool's golden outputs (../shared/golden): the model is rebuilt from the
/// generator in the golden README, analyzed with each file's options, and every golden cell is compared:
/// floats to relative error 1e-8, integers and strings exactly.
/// </summary>
public sealed class GoldenParityTests
{
    private const double Tolerance = 1e-8;

    public static TheoryData<string, string> GoldenFilesAndBackends()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in new[] { "default_mpfit_detx.csv", "pool_false_conv_c.csv", "fix_fingers_clip_xmax.csv", "xmax_minus3.csv" })
        {
            foreach (var backend in Backends.Names)
            {
                data.Add(file, backend);
            }
        }
        return data;
    }

    public static TheoryData<string> BackendNames() => new(Backends.Names);

    public static AnalysisOptions OptionsFor(string file) => file switch
    {
        "default_mpfit_detx.csv" => new AnalysisOptions { MpFit = true, DetX = true },
        "pool_false_conv_c.csv" => new AnalysisOptions { Pool = false },
        "fix_fingers_clip_xmax.csv" => new AnalysisOptions { FixFingers = FingerFix.ClipXmax },
        "xmax_minus3.csv" => new AnalysisOptions { XMax = -3 },
        _ => throw new ArgumentException(file),
    };

    [Theory]
    [MemberData(nameof(GoldenFilesAndBackends))]
    public void Every_golden_cell_matches(string file, string backend)
    {
        var golden = GoldenCsv.Read(SharedFolder.Require(Path.Combine("golden", file)));
        var result = AnalyzeReferenceModel(OptionsFor(file), Backends.Create(backend));
        var checker = new ParityChecker(Tolerance);
        var columns = LayerTable.AnalyzeColumns(result.Options);
        foreach (var column in golden.Columns)
        {
            Assert.Contains(column, columns);
        }
        int matched = 0;
        foreach (var g in golden.Rows)
        {
            int id = int.Parse(g["layer_id"]);
            int slice = g.TryGetValue("slice_id", out var s) ? int.Parse(s) : 0;
            var row = result.Rows.Single(r => r.Layer.LayerId == id && (r.Layer.SliceId ?? 0) == slice);
            foreach (var column in golden.Columns)
            {
                checker.Check($"{file} layer {id} slice {slice}", column, g[column], LayerTable.Value(row, column));
            }
            matched++;
        }
        Assert.Equal(golden.Rows.Count, matched);
        TestContext.Current.SendDiagnosticMessage($"{file} on {backend}: worst relative error per column: " +
            string.Join(", ", checker.WorstRelativeError.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}={kv.Value:E1}")));
    }

    [Theory]
    [MemberData(nameof(BackendNames))]
    public void Summary_matches_golden(string backend)
    {
        var golden = GoldenCsv.Read(SharedFolder.Require(Path.Combine("golden", "summary_default.csv")));
        var summary = AnalyzeReferenceModel(new AnalysisOptions(), Backends.Create(backend)).Summary;
        var checker = new ParityChecker(Tolerance);
        foreach (var g in golden.Rows)
        {
            double? ours = summary[g["summary_metric"]];
            Assert.NotNull(ours);
            checker.Check("summary", g["summary_metric"], g["value"], ours.Value);
        }
        Assert.Equal(golden.Rows.Count, summary.Values.Count);
    }

    [Fact]
    public void Generator_reproduces_the_readme_check_values()
    {
        var t = ReferenceModel.Tensors();
        Assert.Equal(-0.017346525564789772, (double)t[0].Values[0]);
        Assert.Equal(0.05519624054431915, (double)t[0].Values[1]);
        Assert.Equal(-0.0017868776340037584, (double)t[2].Values[0]);
        Assert.Equal(0.009224306792020798, (double)t[4].Values[^1]);
    }

    internal static AnalysisResult AnalyzeReferenceModel(AnalysisOptions options, ISpectralBackend? backend = null)
    {
        using var dir = new TempDir();
        string path = dir.File("reference.npz");
        ReferenceModel.WriteNpz(path);
        using var reader = ModelOpener.Open(path);
        return new Analyzer(backend ?? ManagedSpectralBackend.Instance).Analyze(reader, options);
    }
}
