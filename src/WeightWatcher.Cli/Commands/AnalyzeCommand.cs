using System.CommandLine;
using Serilog;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Reports;

namespace WeightWatcher.Cli.Commands;

/// <summary><c>ww analyze</c>: per-layer metrics and the summary, like the reference's <c>analyze()</c>.</summary>
internal static class AnalyzeCommand
{
    private static readonly string[] TableColumns =
    [
        "layer_id", "name", "layer_type", "N", "M", "rf", "num_evals", "alpha", "alpha_weighted", "log_norm",
        "log_spectral_norm", "stable_rank", "D", "num_pl_spikes", "warning",
    ];

    public static Command Create()
    {
        var model = new Argument<string?>("model") { Description = "Model file or directory (any format ww reads, see README); omitted: the embedded reference model", Arity = ArgumentArity.ZeroOrOne };
        var csv = new Option<string?>("--csv") { Description = "Write one row per layer with the reference's columns" };
        var json = new Option<string?>("--json") { Description = "Write the rows, the summary and any failures as JSON" };
        var plot = new Option<string?>("--plot") { Description = "Write figures into this folder: each layer's ESD views as ww.layer<id>.<view>.png/.svg (esd, esd2 ... esd5; mpfit with --mp-fit; randesd, randesd2 with --randomize) and the correlation flow (flow.png/.svg)" };
        var report = new Option<string?>("--report") { Description = "Write the model's HTML report (the zoo report's model page, with layer pages and figures) into this folder" };
        var options = new AnalysisOptionSet();
        var command = new Command("analyze", "Analyze every layer of a model: ESD, power-law fit and norm metrics") { model, csv, json, plot, report };
        options.AddTo(command, analysisOptions: true);
        EngineFactory.AddTo(command);
        command.SetAction(p => CliErrors.Run(() => Execute(p.GetValue(model), p.GetValue(csv), p.GetValue(json), (p.GetValue(plot), p.GetValue(report)), options.Bind(p), p)));
        return command;
    }

    private static string ModelName(ModelSource source, string path) =>
        source.IsEmbedded ? "reference" : Path.GetFileName(Path.TrimEndingDirectorySeparator(path));

    private static int Execute(string? modelPath, string? csv, string? json, (string? Plot, string? Report) figures, AnalysisOptions options, ParseResult parse)
    {
        var (analyzer, backend) = EngineFactory.Create(parse);
        using var source = ModelSource.Open(modelPath);
        var reader = source.Reader;
        if (source.IsEmbedded)
        {
            Console.WriteLine("No model given: analyzing the embedded reference model (5 layers, the golden-file generator).");
        }
        Log.Information("Analyzing {Model} ({Format}, {TensorCount} tensors) with the {Backend} backend",
            reader.ModelPath, reader.FormatName, reader.Tensors.Count, backend.Name);
        var progress = new ProgressReporter("analyze");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = analyzer.Analyze(reader, options, progress);
        progress.Finish();
        Log.Information("Analyzed {Rows} rows, {Failures} failures in {Seconds:F2} s", result.Rows.Count, result.Failures.Count, started.Elapsed.TotalSeconds);

        var rows = result.Rows.Select(r => TableColumns.Select(c => LayerTable.Value(r, c)).ToArray()).ToList();
        Console.Write(ConsoleTable.Render(TableColumns, rows));
        Console.WriteLine();
        Console.WriteLine("Summary (mean over analyzed rows):");
        foreach (var (name, value) in result.Summary.Values)
        {
            Console.WriteLine($"  {name,-18} {CellFormatter.Format(value)}");
        }
        if (csv is not null)
        {
            AnalysisReport.WriteLayersCsv(csv, result);
            Console.WriteLine($"Wrote {result.Rows.Count} rows to {csv}");
        }
        if (json is not null)
        {
            AnalysisReport.WriteJson(json, result, Core.Spectral.BackendInfo.Of(backend));
            Console.WriteLine($"Wrote {json}");
        }
        if (figures.Plot is { } plotDir)
        {
            int count = FigureOutput.WriteAnalysisFigures(plotDir, result, ModelName(source, reader.ModelPath));
            Console.WriteLine($"Wrote {count} figure files to {plotDir}");
        }
        if (figures.Report is { } reportDir)
        {
            var files = WeightWatcher.Reports.Html.ModelReport.Build(result, ModelName(source, reader.ModelPath));
            WeightWatcher.Reports.Html.ModelReport.WriteTo(reportDir, files);
            Console.WriteLine($"Wrote the report ({files.Count} files): {Path.Combine(reportDir, "index.html")}");
        }
        foreach (var f in result.Failures)
        {
            Log.Warning("Layer {LayerId} {Name} failed: {Reason}", f.Layer.LayerId, f.Layer.Name, f.Reason);
        }
        int analyzedLayers = result.Rows.Select(r => r.Layer.LayerId).Distinct().Count();
        SkipReport.Report(reader, result.Skipped, analyzedLayers, result.Failures.Count);
        // The results are written: the failed layers leave as exit code 3, one error line each.
        return result.Failures.Count == 0
            ? CliErrors.Success
            : throw new CliFailure(CliErrors.PartialFailure, result.Failures.Select(f => f.Reason).ToList());
    }
}
