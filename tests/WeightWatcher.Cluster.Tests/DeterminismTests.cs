using System.Diagnostics;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// The tables a job writes do not depend on how it ran: layers.csv, models.csv and series.csv are the
/// same bytes for one layer at a time with one task in flight, for every core with many in flight, and for
/// a run interrupted by SIGTERM and finished by the next run. (Three workers with a kill: MultiNodeZooJobTests.)
/// </summary>
public sealed class DeterminismTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);
    private static readonly string[] Tables = ["layers.csv", "models.csv", "series.csv"];

    private static string[] Run(string zoo, string results, params string[] extra)
    {
        var run = WwProcess.Run(JobTimeout, null, ["zoo", "run", "--store", zoo, "--models", "models/", "--result-store", results, "--no-html", .. extra]);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode} ({string.Join(' ', extra)})\n{WwProcess.Tail(run.Stderr)}");
        return [.. Tables.Select(t => File.ReadAllText(Path.Combine(results, "results", t)))];
    }

    [Fact]
    public void Parallelism_tasks_in_flight_and_an_interruption_change_no_byte_of_the_tables()
    {
        using var zoo = new TempDir();
        TestZoo.Write(zoo.Path, withBadInput: false);
        using var serial = new TempDir();
        using var wide = new TempDir();
        using var interrupted = new TempDir();
        var expected = Run(zoo.Path, serial.Path, "--parallel", "1", "--max-in-flight", "1");
        Assert.Equal(expected, Run(zoo.Path, wide.Path, "--parallel", "2", "--max-in-flight", "64"));

        // Interrupted once some layers are stored, then finished by a second run over the same results.
        using (var first = WwProcess.Start(null, "zoo", "run", "--store", zoo.Path, "--models", "models/", "--result-store", interrupted.Path, "--no-html", "--parallel", "1", "--max-in-flight", "1"))
        {
            string resultsDir = Path.Combine(interrupted.Path, "results");
            var wait = Stopwatch.StartNew();
            while (!first.HasExited && wait.Elapsed < JobTimeout && ResultFiles.StoredLayers(resultsDir) == 0)
            {
                Thread.Sleep(20);
            }
            if (!first.HasExited)
            {
                using var kill = Process.Start("kill", ["-TERM", first.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
            }
            first.WaitForExit(JobTimeout);
        }
        Assert.Equal(expected, Run(zoo.Path, interrupted.Path));
        TestContext.Current.SendDiagnosticMessage($"determinism: layers.csv {expected[0].Length} B, models.csv {expected[1].Length} B, series.csv {expected[2].Length} B identical over three ways of running");
    }
}
