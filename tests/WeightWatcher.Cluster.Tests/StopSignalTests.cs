using System.Diagnostics;
using WeightWatcher.Core.Formats;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// SIGTERM (Kubernetes stopping a pod) and SIGINT (Ctrl-C) end <c>ww zoo run</c> and <c>ww node</c> within
/// a bound, leaving the cluster, with exit code 128 + the signal (143, 130); an interrupted job's finished
/// layers are kept, so the next run picks up from them.
/// </summary>
public sealed class StopSignalTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(35);

    /// <summary>A model whose layers take long enough on one core for a signal to arrive mid-run.</summary>
    private static void WriteSlowModel(string folder)
    {
        var rng = new Random(7);
        var tensors = Enumerable.Range(0, 8).Select(i =>
            new NamedTensor($"block{i}.weight", [1400, 1200], Enumerable.Range(0, 1400 * 1200).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()));
        SafetensorsWriter.Write(Path.Combine(folder, "slow.safetensors"), tensors);
    }

    private static void Signal(WwProcess process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("INT", 130)]
    public void A_signal_mid_job_leaves_within_the_bound_and_the_next_run_picks_up(string signal, int exitCode)
    {
        using var zoo = new TempDir();
        WriteSlowModel(zoo.Path);
        using var results = new TempDir();
        string[] args = ["zoo", "run", "--store", zoo.Path, "--result-store", results.Path, "--parallel", "1", "--no-html"];
        using (var run = WwProcess.Start(null, args))
        {
            string resultsDir = Path.Combine(results.Path, "results");
            var wait = Stopwatch.StartNew();
            while (ResultFiles.StoredLayers(resultsDir) < 1 && !run.HasExited && wait.Elapsed < Bound * 4)
            {
                Thread.Sleep(50);
            }
            Assert.False(run.HasExited, $"the job ended before the signal\n{WwProcess.Tail(run.Stderr)}");
            var clock = Stopwatch.StartNew();
            Signal(run, signal);
            int code = run.WaitForExit(Bound);
            double seconds = clock.Elapsed.TotalSeconds;
            Assert.True(code == exitCode, $"exit {code} after SIG{signal}, {seconds:F1} s\n{WwProcess.Tail(run.Stderr)}");
            var error = Assert.Single(run.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.Contains("interrupted by a stop signal", error, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", run.Stderr, StringComparison.Ordinal);
            TestContext.Current.SendDiagnosticMessage($"zoo run: SIG{signal} with {ResultFiles.StoredLayers(resultsDir)} of 8 layers stored, exit {code} after {seconds:F2} s");
        }
        var again = WwProcess.Run(Bound * 4, null, args);
        Assert.True(again.ExitCode == 0, $"re-run: exit {again.ExitCode}\n{WwProcess.Tail(again.Stderr)}");
        Assert.Matches(@"8 layers \(\d+ analyzed, [1-8] from earlier runs, 0 failed\)", again.Stdout);
    }

    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("INT", 130)]
    public void A_node_leaves_on_a_signal_within_the_bound(string signal, int exitCode)
    {
        int port = FreePorts.Next();
        using var node = WwProcess.Start(null, "node", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seeds", $"127.0.0.1:{port}");
        var wait = Stopwatch.StartNew();
        while (!node.Stderr.Contains("ww node listening", StringComparison.Ordinal) && !node.HasExited && wait.Elapsed < Bound * 2)
        {
            Thread.Sleep(50);
        }
        Assert.False(node.HasExited, WwProcess.Tail(node.Stderr));
        var clock = Stopwatch.StartNew();
        Signal(node, signal);
        int code = node.WaitForExit(Bound);
        Assert.True(code == exitCode, $"exit {code} after SIG{signal}\n{WwProcess.Tail(node.Stderr)}");
        TestContext.Current.SendDiagnosticMessage($"ww node: SIG{signal} to exit {clock.Elapsed.TotalSeconds:F2} s");
    }
}
