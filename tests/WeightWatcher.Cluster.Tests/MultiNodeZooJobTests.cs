using System.Diagnostics;
using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A real cluster of separate processes on 127.0.0.1: three <c>ww node</c> workers and a
/// <c>ww zoo run</c> submitter, over the CIFAR ResNet series of ../shared/zoo (read-only: results go to
/// a temp folder). A member is killed with SIGKILL mid-run; the job must still finish with every layer
/// exactly once and the same numbers as a one-process run.
/// </summary>
public sealed class MultiNodeZooJobTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public void Killing_a_worker_mid_run_loses_nothing_and_changes_no_number() => RunWithKill(killCoordinatorHost: false);

    [Fact]
    public void Killing_the_node_hosting_the_coordinator_resumes_the_job_on_another_node() => RunWithKill(killCoordinatorHost: true);

    private static void RunWithKill(bool killCoordinatorHost)
    {
        string cifar = SharedFolder.Require("zoo/cifar10-resnet");
        // The zoo: the CIFAR ResNet series (linked, since ../shared is read-only, with its catalog) and generated models.
        using var zooDir = new TempDir();
        string zoo = zooDir.Path;
        foreach (var file in Directory.EnumerateFiles(cifar))
        {
            File.CreateSymbolicLink(Path.Combine(zoo, Path.GetFileName(file)), file);
        }
        TestZoo.WriteGenerated(zoo);
        using var reference = new TempDir();
        var single = WwProcess.Run(JobTimeout, null, "zoo", "run", "--store", zoo, "--result-store", reference.Path);
        Assert.True(single.ExitCode == 0, $"one-process run: exit {single.ExitCode}\n{WwProcess.Tail(single.Stderr)}");
        var expected = ResultFiles.Csv(Path.Combine(reference.Path, "results"), "layers.csv");
        var expectedModels = ResultFiles.Csv(Path.Combine(reference.Path, "results"), "models.csv");
        var expectedSeries = ResultFiles.Csv(Path.Combine(reference.Path, "results"), "series.csv");
        int layers = expected.Length - 1;

        using var results = new TempDir();
        int[] ports = [FreePorts.Next(), FreePorts.Next(), FreePorts.Next(), FreePorts.Next()];
        string seeds = $"127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}";
        var nodes = new List<WwProcess>();
        Func<string>? runnerLog = null;
        try
        {
            // The first node starts alone and is the oldest member: the coordinator singleton lives there.
            nodes.Add(StartNode(ports[0], seeds));
            // Node 2 is a seed too: started before node 1 has formed the cluster, their join handshakes can
            // cross and leave node 2 outside. Kubernetes starts pods the same way, and retries; here we wait.
            WaitFor(() => nodes[0].Stderr.Contains("forming a new cluster", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "node 1 to form the cluster", nodes);
            // Two workers are the minimum: with three, losing one would leave sharding waiting for a third
            // region forever (its minimum applies again when its coordinator moves).
            nodes.Add(StartNode(ports[1], seeds));
            nodes.Add(StartNode(ports[2], seeds));
            WaitFor(() => nodes.Skip(1).All(n => n.Stderr.Contains("Welcome from", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "nodes 2 and 3 to join", nodes);
            using var runner = WwProcess.Start(null, "zoo", "run", "--store", zoo, "--result-store", results.Path, "--seeds", seeds, "--port", ports[3].ToString(), "--min-workers", "2", "--task-timeout", "120");
            runnerLog = () => runner.Stderr;

            // Kill when about a quarter of the layers are stored: the victim surely holds tasks then.
            string cache = Path.Combine(results.Path, "results", "cache");
            WaitFor(() => Stored(cache) >= layers / 4 || runner.HasExited, JobTimeout, "a quarter of the layers", [.. nodes, runner]);
            Assert.False(runner.HasExited, $"the job ended before the kill\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
            // The coordinator singleton runs on the oldest worker, which is not always the first started
            // (members become Up together): its host is the node that logged the planning.
            var host = nodes.Single(n => n.Stderr.Contains("planning models", StringComparison.Ordinal));
            var victim = killCoordinatorHost ? host : nodes.First(n => n != host);
            int storedAtKill = Stored(cache);
            var clock = Stopwatch.StartNew();
            victim.Kill();

            int exit = runner.WaitForExit(JobTimeout);
            double recovery = clock.Elapsed.TotalSeconds;
            Assert.True(exit == 0, $"exit {exit}\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
            string resultsDir = Path.Combine(results.Path, "results");
            var actual = ResultFiles.Csv(resultsDir, "layers.csv");
            // Determinism: three workers with a kill give the one-process run's tables, byte for byte.
            Assert.Equal(expected, actual);
            Assert.Equal(expectedModels, ResultFiles.Csv(resultsDir, "models.csv"));
            Assert.Equal(expectedSeries, ResultFiles.Csv(resultsDir, "series.csv"));
            var keys = actual.Skip(1).Select(l => string.Join(',', l.Split(',').Take(2))).ToList();
            Assert.Equal(keys.Count, keys.Distinct().Count());
            var manifest = ResultFiles.Manifest(resultsDir);
            Assert.Equal(9, manifest.Models.Count);
            Assert.Contains(ResultFiles.Csv(resultsDir, "series.csv"), l => l.StartsWith("cifar10-resnet,alpha_weighted,4,", StringComparison.Ordinal));
            Assert.Equal(layers, manifest.Counts.Layers);
            Assert.Equal(0, manifest.Counts.LayersFailed);
            Assert.True(manifest.Nodes.Count >= 2, "work was spread over the workers: " + string.Join(", ", manifest.Nodes));
            if (killCoordinatorHost)
            {
                // The coordinator that finished is another one, which found the layers done before the kill in the store.
                Assert.True(manifest.Counts.LayersCached > 0, "the job was not resumed from the stored layers");
                Assert.Equal(2, nodes.Count(n => n.Stderr.Contains("planning models", StringComparison.Ordinal)));
            }
            TestContext.Current.SendDiagnosticMessage(
                $"{(killCoordinatorHost ? "coordinator host" : "worker")} killed at {storedAtKill}/{layers} layers; job finished {recovery:F1} s later; " +
                $"{manifest.Counts.LayersAnalyzed} analyzed after the (re)start, {manifest.Counts.LayersCached} found stored, {manifest.Counts.Resent} resent; nodes: {string.Join(", ", manifest.Nodes)}");
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }
            // Kept for diagnosis: each member's log, under the system temp folder.
            string logs = Path.Combine(Path.GetTempPath(), "ww-cluster-test-logs", killCoordinatorHost ? "coordinator-kill" : "worker-kill");
            Directory.CreateDirectory(logs);
            for (int i = 0; i < nodes.Count; i++)
            {
                File.WriteAllText(Path.Combine(logs, $"node{i + 1}.log"), nodes[i].Stderr);
            }
            if (runnerLog is not null)
            {
                File.WriteAllText(Path.Combine(logs, "runner.log"), runnerLog());
            }
        }
    }

    private static WwProcess StartNode(int port, string seeds) =>
        // Akka's membership events (INFO) tell the test when the cluster has formed.
        WwProcess.Start(new Dictionary<string, string> { ["WW_AKKA_LOG_LEVEL"] = "INFO" }, "node", "--port", port.ToString(), "--seeds", seeds, "--parallel", "1", "--min-workers", "2");

    private static int Stored(string cache) =>
        Directory.Exists(cache) ? Directory.EnumerateFiles(cache, "*.json", SearchOption.AllDirectories).Count() : 0;

    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string what, IEnumerable<WwProcess> processes)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"timed out waiting for {what}\n" + string.Join("\n----\n", processes.Select(p => WwProcess.Tail(p.Stderr, 30))));
            }
            Thread.Sleep(200);
        }
    }
}
