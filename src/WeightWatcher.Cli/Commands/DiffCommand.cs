using System.CommandLine;
using WeightWatcher.Cluster.Reporting;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Reports.Diff;

namespace WeightWatcher.Cli.Commands;

/// <summary>
/// <c>ww diff A B</c>: two models (analyzed now) or two runs (folders holding a zoo run's
/// <c>layers.json</c>: a results folder or <c>results/runs/&lt;job&gt;</c>) compared layer by layer.
/// </summary>
internal static class DiffCommand
{
    private static readonly string[] Shown = ["layer_id", "name", "status", "alpha_a", "alpha_b", "delta_alpha", "delta_alpha_weighted", "delta_log_norm", "delta_log_spectral_norm", "alpha_band"];

    public static Command Create()
    {
        var a = new Argument<string>("a") { Description = "A model file or directory, or a zoo run's results folder" };
        var b = new Argument<string>("b") { Description = "The same kind of thing to compare with" };
        var csv = new Option<string?>("--csv") { Description = "Write every column (metrics in A and B, deltas, alpha-band changes) as CSV" };
        var json = new Option<string?>("--json") { Description = "Write the same as JSON" };
        var options = new AnalysisOptionSet();
        var command = new Command("diff", "Compare two models or two zoo runs layer by layer: metric deltas and alpha-band changes") { a, b, csv, json };
        options.AddTo(command, analysisOptions: true);
        EngineFactory.AddTo(command);
        command.SetAction(p => CliErrors.Run(() =>
        {
            string pathA = p.GetValue(a)!, pathB = p.GetValue(b)!;
            bool runs = IsRun(pathA) && IsRun(pathB);
            var (rowsA, rowsB) = runs
                ? (RunFiles.ParseRows(File.ReadAllBytes(Path.Combine(pathA, "layers.json"))), RunFiles.ParseRows(File.ReadAllBytes(Path.Combine(pathB, "layers.json"))))
                : (Analyze(pathA, options.Bind(p), p), Analyze(pathB, options.Bind(p), p));
            var deltas = LayerDiff.Compare(rowsA, rowsB);
            string[] columns = runs ? ["model", .. Shown] : Shown;
            Console.Write(ConsoleTable.Render(columns, deltas.Select(d => columns.Select(c => LayerDiff.Cell(d, c)).ToArray()).ToList()));
            Console.WriteLine();
            Console.WriteLine($"{deltas.Count(d => d.Status == "both")} layers in both, {deltas.Count(d => d.Status == "only_a")} only in A, {deltas.Count(d => d.Status == "only_b")} only in B; "
                + $"{deltas.Count(d => d.Band == "left [2,6]")} left alpha in [2, 6], {deltas.Count(d => d.Band == "entered [2,6]")} entered it");
            var (csvBytes, jsonBytes) = LayerDiff.Write(deltas, runs);
            if (p.GetValue(csv) is { } csvPath)
            {
                File.WriteAllBytes(csvPath, csvBytes);
                Console.WriteLine($"Wrote {csvPath}");
            }
            if (p.GetValue(json) is { } jsonPath)
            {
                File.WriteAllBytes(jsonPath, jsonBytes);
                Console.WriteLine($"Wrote {jsonPath}");
            }
            return CliErrors.Success;
        }));
        return command;
    }

    private static bool IsRun(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, "layers.json"));

    private static List<IReadOnlyDictionary<string, object?>> Analyze(string path, AnalysisOptions options, ParseResult parse)
    {
        using var source = ModelSource.Open(path);
        var result = EngineFactory.Create(parse).Analyzer.Analyze(source.Reader, options);
        var columns = LayerTable.AnalyzeColumns(options);
        return result.Rows.Select(r => (IReadOnlyDictionary<string, object?>)columns.ToDictionary(c => c, c => LayerTable.Value(r, c), StringComparer.Ordinal)).ToList();
    }
}
