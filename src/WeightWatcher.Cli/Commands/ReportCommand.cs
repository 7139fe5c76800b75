using System.CommandLine;
using WeightWatcher.Cluster.Reporting;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Storage;

namespace WeightWatcher.Cli.Commands;

/// <summary><c>ww report RESULTS</c>: rebuilds the HTML report of the latest zoo run in a results folder or store.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var results = new Argument<string>("results") { Description = "The results of a zoo run: a folder (e.g. results/), or a store (az://container, container URI) with --prefix" };
        var prefix = new Option<string>("--prefix") { Description = "Prefix of the results inside the store (a folder argument is the results folder itself)", DefaultValueFactory = _ => "" };
        var command = new Command("report", "Rebuild the HTML report (report/index.html) of the latest zoo run from its stored results") { results, prefix };
        command.SetAction((p, cancellation) => CliErrors.RunAsync(async () =>
        {
            string spec = p.GetValue(results)!;
            if (!spec.Contains("://", StringComparison.Ordinal))
            {
                spec = Path.GetFullPath(spec);
                if (!Directory.Exists(spec))
                {
                    throw new CliFailure(CliErrors.BadInput, $"{spec}: no such folder");
                }
            }
            // A store that cannot be opened or read is a StoreException: CliErrors reports it (exit 2).
            using var store = StoreFactory.Create(spec);
            var layout = new ResultLayout(p.GetValue(prefix) ?? "");
            string entry = await RunFiles.RebuildReportAsync(store, layout, cancellation);
            Console.WriteLine($"report: {(store.LocalRoot is { } root ? Path.Combine(root, entry) : $"{store.Description} {entry}")}");
            return CliErrors.Success;
        }));
        return command;
    }
}
