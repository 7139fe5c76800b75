using System.CommandLine;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Layers;
using WeightWatcher.Reports;

namespace WeightWatcher.Cli.Commands;

/// <summary><c>ww describe</c>: the layers that analyze would take, from headers only (no SVD).</summary>
internal static class DescribeCommand
{
    public static Command Create()
    {
        var model = new Argument<string?>("model") { Description = "Model file or directory; omitted: the embedded reference model", Arity = ArgumentArity.ZeroOrOne };
        var csv = new Option<string?>("--csv") { Description = "Write one row per layer with the reference's describe columns" };
        var options = new AnalysisOptionSet();
        var command = new Command("describe", "List the layers that would be analyzed, with N, M, rf and num_evals") { model, csv };
        options.AddTo(command, analysisOptions: false);
        command.SetAction(p => CliErrors.Run(() => Execute(p.GetValue(model), p.GetValue(csv), options.Bind(p))));
        return command;
    }

    private static int Execute(string? modelPath, string? csv, AnalysisOptions options)
    {
        using var source = ModelSource.Open(modelPath);
        var layers = Analyzer.Describe(source.Reader, options);
        var columns = LayerTable.DescribeColumns(options);
        var rows = layers.Select(l => columns.Select(c => LayerTable.DescribeValue(l, c)).ToArray()).ToList();
        Console.Write(ConsoleTable.Render(columns, rows));
        Console.WriteLine($"{layers.Count} rows; {source.Reader.Tensors.Count} tensors");
        if (csv is not null)
        {
            AnalysisReport.WriteDescribeCsv(csv, layers, options);
            Console.WriteLine($"Wrote {layers.Count} rows to {csv}");
        }
        var skipped = LayerEnumerator.EnumerateSkipped(source.Reader, options);
        SkipReport.Report(source.Reader, skipped, layers.Select(l => l.LayerId).Distinct().Count(), 0);
        return CliErrors.Success;
    }
}
