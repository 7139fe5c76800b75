using System.Diagnostics;
using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A real cluster of separate processes on 127.0.0.1 (<see cref="LocalZooCluster"/>: three <c>ww node</c>
/// workers and a <c>ww zoo run</c> submitter). A member is killed with SIGKILL mid-run; the job must still
/// finish with every layer exactly once and the same numbers as a one-process run.
/// </summary>
public sealed class MultiNodeZooJobTests
{
    [Fact]
    public void Killing_a_worker_mid_run_loses_nothing_and_changes_no_number() => RunWithKill(killCoordinatorHost: false);

    [Fact]
    public void Killing_the_node_hosting_the_coordinator_resumes_the_job_on_another_node() => RunWithKill(killCoordinatorHost: true);

    private static void RunWithKill(bool killCoordinatorHost)
    {
        using var cluster = LocalZooCluster.Start(killCoordinatorHost ? "coordinator-kill" : "worker-kill");
        using var results = new TempDir();
        string resultsDir = Path.Combine(results.Path, "results");
        int layers = cluster.LayerCount;
        var runner = cluster.Submit(results.Path);

        // Kill when about a quarter of the layers are stored: the victim surely holds tasks then.
        cluster.WaitFor(() => LocalZooCluster.Stored(resultsDir) >= layers / 4 || runner.HasExited, LocalZooCluster.JobTimeout, "a quarter of the layers");
        Assert.False(runner.HasExited, $"the job ended before the kill\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
        // The coordinator singleton runs on the oldest worker, which is not always the first started
        // (members become Up together): its host is the node that logged the planning.
        var host = Assert.Single(cluster.CoordinatorHosts());
        var victim = killCoordinatorHost ? host : cluster.Nodes.First(n => n != host);
        int storedAtKill = LocalZooCluster.Stored(resultsDir);
        var clock = Stopwatch.StartNew();
        victim.Kill();

        int exit = runner.WaitForExit(LocalZooCluster.JobTimeout);
        double recovery = clock.Elapsed.TotalSeconds;
        Assert.True(exit == 0, $"exit {exit}\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
        // Determinism: three workers with a kill give the one-process run's tables, byte for byte, each layer once.
        cluster.AssertSameTables(resultsDir);
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
            Assert.Equal(2, cluster.CoordinatorHosts().Count);
        }
        TestContext.Current.SendDiagnosticMessage(
            $"{(killCoordinatorHost ? "coordinator host" : "worker")} killed at {storedAtKill}/{layers} layers; job finished {recovery:F1} s later; " +
            $"{manifest.Counts.LayersAnalyzed} analyzed after the (re)start, {manifest.Counts.LayersCached} found stored, {manifest.Counts.Resent} resent; nodes: {string.Join(", ", manifest.Nodes)}");
    }
}
