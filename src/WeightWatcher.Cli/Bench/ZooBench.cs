using System.Text.Json;
using WeightWatcher.Cli.Commands.Zoo;

namespace WeightWatcher.Cli.Bench;

/// <summary>
/// <c>ww bench</c>'s zoo section: <c>ww zoo run</c> over the demo zoo as child processes, with results in
/// the bench's work folder. A first run (every layer analyzed, every file hashed) and three no-op re-runs
/// (every layer cached), each split into member start, the job's planning, analysis and reports, and the
/// member's leave; the rest of the process (runtime start, exit) is what is left over. A bare process
/// start of the same <c>ww</c> is measured alongside, as the baseline the no-op run compares with.
/// </summary>
internal sealed class ZooBench(string workDir, BenchReport report, Action<string> say)
{
    private const int Reruns = 3;

    private sealed record ZooRun(double Process, IReadOnlyDictionary<string, double> Split, int Layers, int Analyzed);

    public void Run()
    {
        string results = Path.Combine(workDir, "zoo-results");
        if (Directory.Exists(results))
        {
            Directory.Delete(results, recursive: true);
        }
        say("ww zoo run over the demo zoo: first run ...");
        var first = RunZoo(results);
        var noops = new List<ZooRun>();
        for (int i = 0; i < Reruns; i++)
        {
            say($"ww zoo run over the demo zoo: no-op re-run {i + 1}/{Reruns} ...");
            noops.Add(RunZoo(results));
        }
        say("bare process start (ww --version) ...");
        double baseline = Median(Enumerable.Range(0, Reruns).Select(_ => BenchSuite.RunChild(["--version"]).Seconds));

        report.Add("zoo", "first_run", first.Process, "s", $"whole ww zoo run process: {first.Layers} layers, {first.Analyzed} analyzed, every file hashed; {report.Kernel}");
        AddSplit("first", first.Process, first.Split);
        double noop = Median(noops.Select(r => r.Process));
        var split = ZooRunTimings.Names.ToDictionary(n => n, n => Median(noops.Select(r => r.Split[n])));
        report.Add("zoo", "noop_rerun", noop, "s", $"median of {Reruns} whole processes, {noops[0].Layers} layers all cached; target <= 1.5");
        report.Add("zoo", "noop_rerun_min", noops.Min(r => r.Process), "s", $"fastest of the {Reruns}");
        AddSplit("noop", noop, split);
        report.Add("zoo", "noop_start_plus_leave", split["start"] + split["leave"], "s", "cluster start + leave of the no-op re-run (medians); target <= 0.5");
        report.Add("zoo", "process_baseline", baseline, "s", $"ww --version, median of {Reruns}: the .NET runtime's start and exit alone");
        report.Add("zoo", "noop_over_baseline", noop / baseline, "x", "no-op re-run / bare process start, measured in this run");
        report.Add("zoo", "noop_start_plus_leave_over_baseline", (split["start"] + split["leave"]) / baseline, "x", "cluster start + leave / bare process start: how much other work on the machine inflated both");
        if (Load() is double load)
        {
            report.Add("zoo", "load_average", load, "", "1-minute load average when the section ended (other processes on these cores)");
        }
    }

    private void AddSplit(string run, double process, IReadOnlyDictionary<string, double> split)
    {
        string[] notes =
        [
            "member start until the coordinator singleton accepted the job",
            "listing, hashing (through the hash index), headers and cache keys",
            "layer tasks (none when every layer is cached)",
            "reports and manifest from every cached result",
            "leaving the cluster and stopping the member",
        ];
        for (int i = 0; i < ZooRunTimings.Names.Length; i++)
        {
            report.Add("zoo", $"{run}_{ZooRunTimings.Names[i]}", split[ZooRunTimings.Names[i]], "s", notes[i]);
        }
        report.Add("zoo", $"{run}_other", process - split.Values.Sum(), "s", "the rest of the process: runtime start, JIT, demo zoo check, exit");
    }

    private ZooRun RunZoo(string results)
    {
        var child = BenchSuite.RunChild(["zoo", "run", "--result-store", results]);
        var split = ZooRunTimings.Parse(child.Stderr) ?? throw new InvalidOperationException("ww zoo run reported no timings: " + child.Stderr);
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(results, "results", "manifest.json")));
        var counts = manifest.RootElement.GetProperty("counts");
        return new ZooRun(child.Seconds, split, counts.GetProperty("layers").GetInt32(), counts.GetProperty("layersAnalyzed").GetInt32());
    }

    private static double? Load() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double load)
            ? load
            : null;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
