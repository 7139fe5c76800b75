using System.CommandLine;
using System.Globalization;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Reports;

namespace WeightWatcher.Cli.Commands;

/// <summary><c>ww esd</c>: one layer's eigenvalues (ascending) and its power-law fit.</summary>
internal static class EsdCommand
{
    public static Command Create()
    {
        var model = new Argument<string?>("model") { Description = "Model file or directory; omitted: the embedded reference model", Arity = ArgumentArity.ZeroOrOne };
        var layer = new Option<string>("--layer") { Description = "Layer id or name", Required = true };
        var csv = new Option<string?>("--csv") { Description = "Write index,eigenvalue rows instead of printing every eigenvalue" };
        var plot = new Option<string?>("--plot") { Description = "Write the log-log ESD figure to this .png or .svg file, and the other views beside it as <name>.<view>.<ext> (esd2 ... esd5; mpfit with --mp-fit; randesd, randesd2 with --randomize)" };
        var options = new AnalysisOptionSet();
        var command = new Command("esd", "Print one layer's eigenvalues and its power-law fit") { model, layer, csv, plot };
        options.AddTo(command, analysisOptions: true);
        EngineFactory.AddTo(command);
        command.SetAction(p => CliErrors.Run(() => Execute(p.GetValue(model), p.GetValue(layer)!, p.GetValue(csv), p.GetValue(plot), options.Bind(p), p)));
        return command;
    }

    private static int Execute(string? modelPath, string layer, string? csv, string? plot, AnalysisOptions options, ParseResult parse)
    {
        using var source = ModelSource.Open(modelPath);
        var esd = EngineFactory.Create(parse).Analyzer.GetEsd(source.Reader, layer, options);
        var fit = esd.Tail.Fit;
        var l = esd.Layer;
        Console.WriteLine($"layer {l.LayerId} {l.Name}: {l.Tensor.ShapeText}, N={l.N} M={l.M} rf={l.Rf}, {esd.Evals.Length} eigenvalues");
        Console.WriteLine($"fit: status={fit.Status} alpha={F(fit.Alpha)} xmin={F(fit.Xmin)} xmax={F(fit.Xmax)} D={F(fit.D)} sigma={F(fit.Sigma)} num_pl_spikes={esd.Tail.NumPlSpikes}");
        if (plot is not null)
        {
            foreach (var path in FigureOutput.WriteEsdFigures(plot, esd))
            {
                Console.WriteLine($"Wrote {path}");
            }
        }
        if (csv is not null)
        {
            AnalysisReport.WriteEsdCsv(csv, esd);
            Console.WriteLine($"Wrote {esd.Evals.Length} eigenvalues to {csv}");
        }
        else if (plot is null)
        {
            Console.WriteLine("eigenvalues (ascending):");
            foreach (var v in esd.Evals)
            {
                Console.WriteLine(v.ToString("R", CultureInfo.InvariantCulture));
            }
        }
        return CliErrors.Success;
    }

    private static string F(double? v) => CellFormatter.Format(v);
}
