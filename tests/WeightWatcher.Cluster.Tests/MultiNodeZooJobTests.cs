using System.Diagnostics;
using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A real cluster of separate processes (<see cref="LoopbackCluster"/>: three <c>ww node</c> workers and a
/// <c>ww zoo run</c> submitter) over the CIFAR zoo. A member is killed with SIGKILL mid-run; the job must
/// still finish with every layer exactly once and the same numbers as a one-process run.
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
        using var zooFolder = new TempDir();
        string zoo = CifarZoo.Prepare(zooFolder);
        using var reference = new TempDir();
        using var results = new TempDir();
        using var cluster = new LoopbackCluster(killCoordinatorHost ? "coordinator-kill" : "worker-kill");
        using var single = WwProcess.Start(null, "zoo", "run", "--store", zoo, "--result-store", reference.Path);
        cluster.Form();
        var expected = JobTables.Of(single, reference.Path, JobTimeout);
        int layers = expected.LayerCount;
        var runner = cluster.Submit(zoo, results.Path);

        // Kill when about a quarter of the layers are stored: the victim surely holds tasks then.
        cluster.WaitFor(() => LoopbackCluster.Stored(results.Path) >= layers / 4 || runner.HasExited, JobTimeout, "a quarter of the layers");
        Assert.False(runner.HasExited, $"the job ended before the kill\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
        var host = cluster.CoordinatorHost();
        var victim = killCoordinatorHost ? host : cluster.Workers.First(w => w != host);
        int storedAtKill = LoopbackCluster.Stored(results.Path);
        var clock = Stopwatch.StartNew();
        victim.Process!.Kill();

        int exit = runner.WaitForExit(JobTimeout);
        double recovery = clock.Elapsed.TotalSeconds;
        Assert.True(exit == 0, $"exit {exit}\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
        // Determinism: three workers with a kill give the one-process run's tables, byte for byte, each layer once.
        expected.AssertSameAs(JobTables.Read(results.Path));
        string resultsDir = Path.Combine(results.Path, "results");
        var manifest = ResultFiles.Manifest(resultsDir);
        Assert.Equal(9, manifest.Models.Count);
        Assert.Contains(expected.Series, l => l.StartsWith("cifar10-resnet,alpha_weighted,4,", StringComparison.Ordinal));
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
