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
/// floats to relative error 1e-8, integers and strings exactly. The count of values compared and the
/// matching of every result row are asserted, so an empty or short golden file cannot pass.
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
        var checker = Compare(file, golden, result);
        TestContext.Current.SendDiagnosticMessage($"{file} on {backend}: worst relative error per column: " +
            string.Join(", ", checker.WorstRelativeError.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}={kv.Value:E1}")));
    }

    [Fact]
    public void A_header_only_golden_copy_fails_the_comparison()
    {
        const string file = "default_mpfit_detx.csv";
        using var dir = new TempDir();
        string copy = dir.File(file);
        File.WriteAllLines(copy, [File.ReadLines(SharedFolder.Require(Path.Combine("golden", file))).First()]);
        var headerOnly = GoldenCsv.Read(copy);
        Assert.Empty(headerOnly.Rows);

        var result = AnalyzeReferenceModel(OptionsFor(file));
        var e = Assert.ThrowsAny<Exception>(() => Compare(file, headerOnly, result));
        Assert.Contains("golden rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_golden_copy_missing_a_row_fails_the_comparison()
    {
        const string file = "default_mpfit_detx.csv";
        using var dir = new TempDir();
        string copy = dir.File(file);
        var lines = File.ReadAllLines(SharedFolder.Require(Path.Combine("golden", file))).Where(l => l.Length > 0).ToList();
        File.WriteAllLines(copy, lines.Take(lines.Count - 1));
        var shortened = GoldenCsv.Read(copy);

        var result = AnalyzeReferenceModel(OptionsFor(file));
        var e = Assert.ThrowsAny<Exception>(() => Compare(file, shortened, result));
        Assert.Contains("not matched by a golden row", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Compares every golden cell with ours, and asserts that the comparison covered something: every result
    /// row the file covers (all of them, or conv_c's slices for the pool=False file) is matched by exactly one golden row, and the values compared are rows times columns (a golden
    /// file with only a header, or missing rows, fails here instead of passing by comparing nothing).
    /// </summary>
    internal static ParityChecker Compare(string file, GoldenCsv golden, AnalysisResult result)
    {
        var checker = new ParityChecker(Tolerance);
        var columns = LayerTable.AnalyzeColumns(result.Options);
        foreach (var column in golden.Columns)
        {
            Assert.Contains(column, columns);
        }
        Assert.True(result.Rows.Count > 0, $"{file}: the analysis produced no rows");
        Assert.True(golden.Rows.Count > 0, $"{file}: no golden rows to compare with the {result.Rows.Count} result rows");
        var matched = new HashSet<(int Layer, int Slice)>();
        foreach (var g in golden.Rows)
        {
            int id = int.Parse(g["layer_id"]);
            int slice = g.TryGetValue("slice_id", out var s) ? int.Parse(s) : 0;
            var row = result.Rows.Single(r => r.Layer.LayerId == id && (r.Layer.SliceId ?? 0) == slice);
            foreach (var column in golden.Columns)
            {
                checker.Check($"{file} layer {id} slice {slice}", column, g[column], LayerTable.Value(row, column));
            }
            Assert.True(matched.Add((id, slice)), $"{file}: layer {id} slice {slice} has two golden rows");
        }
        // pool_false_conv_c.csv holds the nine slices of conv_c (layer 3) only; the others hold every layer.
        var covered = result.Rows.Where(r => file != "pool_false_conv_c.csv" || r.Layer.LayerId == 3).ToList();
        var unmatched = covered.Where(r => !matched.Contains((r.Layer.LayerId, r.Layer.SliceId ?? 0))).ToList();
        Assert.True(unmatched.Count == 0, $"{file}: {unmatched.Count} result rows not matched by a golden row (layers {string.Join(", ", unmatched.Select(r => r.Layer.LayerId))})");
        Assert.Equal(golden.Rows.Count * golden.Columns.Count, checker.Compared);
        return checker;
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
        Assert.True(golden.Rows.Count > 0, "no golden summary rows");
        Assert.Equal(golden.Rows.Count, summary.Values.Count);
        Assert.Equal(golden.Rows.Count, checker.Compared);
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
