using System.Globalization;
using Serilog;
using WeightWatcher.Cluster.Results;

namespace WeightWatcher.Cli.Commands.Zoo;

/// <summary>
/// Where the wall time of one <c>ww zoo run</c> went: starting the cluster member until the coordinator
/// accepted the job, the job's own phases (from its manifest), and leaving the cluster. Logged, and
/// printed as one <c>zoo_timings_seconds</c> line for <c>ww bench</c> when it runs the command.
/// </summary>
/// <param name="Start">Member start until the coordinator singleton answered the submission.</param>
/// <param name="Job">The job's phases (planning, analysis, reports), or null when no manifest was read.</param>
/// <param name="Leave">Leaving the cluster and stopping the member.</param>
internal sealed record ZooRunTimings(double Start, ManifestTimings? Job, double Leave)
{
    /// <summary>Prefix of the line <c>ww bench</c> reads.</summary>
    public const string BenchPrefix = "zoo_timings_seconds";

    /// <summary>The names of the figures in the bench line, in order.</summary>
    public static readonly string[] Names = ["start", "plan", "analysis", "reports", "leave"];

    /// <summary>Logs the split, and writes the bench line when <c>WW_BENCH_REPORT=1</c>.</summary>
    public void Report()
    {
        Log.Information("Zoo run timings: start {Start:F3} s, plan {Plan:F3} s, analysis {Analysis:F3} s, reports {Reports:F3} s, leave {Leave:F3} s",
            Start, Job?.Planning, Job?.Analysis, Job?.Reports, Leave);
        if (Environment.GetEnvironmentVariable(BenchReport.Variable) == "1")
        {
            double[] values = [Start, Job?.Planning ?? double.NaN, Job?.Analysis ?? double.NaN, Job?.Reports ?? double.NaN, Leave];
            Console.Error.WriteLine(BenchPrefix + string.Concat(Names.Zip(values, (n, v) => " " + n + "=" + v.ToString("R", CultureInfo.InvariantCulture))));
        }
    }

    /// <summary>Reads the bench line from a child's stderr; null when absent.</summary>
    public static IReadOnlyDictionary<string, double>? Parse(string stderr) =>
        stderr.Split('\n').FirstOrDefault(l => l.StartsWith(BenchPrefix + " ", StringComparison.Ordinal)) is { } line
            ? line[BenchPrefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(kv => kv.Split('='))
                .ToDictionary(kv => kv[0], kv => double.Parse(kv[1], CultureInfo.InvariantCulture))
            : null;
}

/// <summary>The switch that makes a <c>ww</c> child report figures for <c>ww bench</c> on stderr (peak RSS, GC pauses, zoo timings).</summary>
internal static class BenchReport
{
    /// <summary>Environment variable; set to 1 by <c>ww bench</c> for its children.</summary>
    public const string Variable = "WW_BENCH_REPORT";
}
