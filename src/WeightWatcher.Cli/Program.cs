using System.CommandLine;
using Serilog;
using Serilog.Events;
using WeightWatcher.Cli.Commands;

namespace WeightWatcher.Cli;

/// <summary>Entry point of the <c>ww</c> command.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command; returns the process exit code.</summary>
    public static int Main(string[] args)
    {
        var level = EnvironmentDefaults.Get(EnvironmentDefaults.LogLevel) is { } text && Enum.TryParse<LogEventLevel>(text, true, out var parsed)
            ? parsed
            : LogEventLevel.Warning;
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .Enrich.WithProperty("App", "ww")
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose, outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
        try
        {
            if (args is ["zoo" or "node", ..])
            {
                Commands.Zoo.ZooHost.WarmUp();
            }
            Native.BackendNotice.Remember(args);
            Native.KernelSelector.PrepareFor(args);
            var parse = BuildRoot().Parse(args);
            // Parse errors (unknown options, values outside their choices, bad WW_* fallbacks) leave through
            // the same place as every other error, with exit code 2 rather than System.CommandLine's 1.
            // Stop signals are the commands' own business (StopSignals for cluster members; the default, an
            // immediate exit, elsewhere): System.CommandLine's handler would end a member before it has left.
            return parse.Errors.Count > 0 ? CliErrors.ParseFailed(parse) : parse.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });
        }
        finally
        {
            Log.CloseAndFlush();
            if (Environment.GetEnvironmentVariable(Commands.Zoo.BenchReport.Variable) == "1")
            {
                // Read by `ww bench`, which runs analyses in child processes to measure their peak memory.
                Console.Error.WriteLine($"peak_rss_bytes={PeakRss.Bytes()}");
                Console.Error.WriteLine(FormattableString.Invariant($"gc_pause_seconds={GC.GetTotalPauseDuration().TotalSeconds} gc_collections={GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}"));
            }
        }
    }

    /// <summary>The root command with every subcommand.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("ww: judge pretrained neural networks from their weights alone (WeightWatcher 0.7.5.5 parity). Set WW_LOG_LEVEL=Information for progress logs.");
        root.Subcommands.Add(AnalyzeCommand.Create());
        root.Subcommands.Add(DescribeCommand.Create());
        root.Subcommands.Add(EsdCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(DiffCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(Bench.BenchCommand.Create());
        root.Subcommands.Add(Commands.Zoo.ZooCommand.Create());
        root.Subcommands.Add(Commands.Zoo.NodeCommand.Create());
        return root;
    }
}
