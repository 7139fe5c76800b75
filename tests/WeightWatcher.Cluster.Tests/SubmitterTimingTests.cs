using System.Diagnostics;
using System.Text.RegularExpressions;
using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// The submitter and the coordinator dying at awkward moments, on a real three-worker cluster
/// (<see cref="LoopbackCluster"/>): a submitter killed mid-job leaves the job running, a re-submission of
/// the same zoo follows it and <c>--attach</c> reports it, instead of starting over; the coordinator's node
/// killed while it writes the reports leaves one set of reports, one history entry and one run folder.
/// </summary>
public sealed partial class SubmitterTimingTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(6);

    /// <summary>Formed cluster, the zoo and its one-process tables.</summary>
    private static (LoopbackCluster Cluster, string Zoo, JobTables Expected) Start(string name, TempDir zooFolder, TempDir reference)
    {
        string zoo = CifarZoo.Prepare(zooFolder);
        var cluster = new LoopbackCluster(name);
        try
        {
            using var single = WwProcess.Start(null, "zoo", "run", "--store", zoo, "--result-store", reference.Path);
            cluster.Form();
            return (cluster, zoo, JobTables.Of(single, reference.Path, JobTimeout));
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    [Fact]
    public void A_killed_submitter_leaves_the_job_running_and_a_resubmission_or_attach_follows_it()
    {
        using var zooFolder = new TempDir();
        using var reference = new TempDir();
        var (cluster, zoo, expected) = Start("submitter-kill", zooFolder, reference);
        using var _ = cluster;
        using var results = new TempDir();
        string resultsDir = Path.Combine(results.Path, "results");
        int layers = expected.LayerCount;

        var first = cluster.Submit(zoo, results.Path);
        cluster.WaitFor(() => LoopbackCluster.Stored(results.Path) >= layers / 4 || first.HasExited, JobTimeout, "a quarter of the layers");
        Assert.False(first.HasExited, $"the job ended before the kill\n{WwProcess.Tail(first.Stderr)}");
        string jobId = JobIdOf(first.Stderr);
        var clock = Stopwatch.StartNew();
        first.Kill();
        int storedAtKill = LoopbackCluster.Stored(results.Path);

        // The same zoo submitted again (a new job id) follows the running job instead of being refused or starting over.
        var again = cluster.Submit(zoo, results.Path);
        int exit = again.WaitForExit(JobTimeout);
        double finished = clock.Elapsed.TotalSeconds;
        Assert.True(exit == 0, $"re-submission: exit {exit}\n{again.Stdout}\n{WwProcess.Tail(again.Stderr)}");
        Assert.Contains($"Following job {jobId}", again.Stderr, StringComparison.Ordinal);
        Assert.Contains($"zoo job {jobId}:", again.Stdout, StringComparison.Ordinal);
        expected.AssertSameAs(JobTables.Read(results.Path));
        var manifest = ResultFiles.Manifest(resultsDir);
        Assert.Equal(jobId, manifest.JobId);
        Assert.Equal(layers, manifest.Counts.Layers);
        Assert.Equal(0, manifest.Counts.LayersFailed);
        // One job analyzed the zoo: nothing was found stored at its planning, nothing planned twice.
        Assert.Equal(layers, manifest.Counts.LayersAnalyzed);
        Assert.Single(cluster.CoordinatorHosts());
        Assert.Equal(1, Regex.Count(string.Concat(cluster.Workers.Select(w => w.Process!.Stderr)), "planning models"));

        // Attaching after the end reports the finished job, without running anything.
        var attach = cluster.Submit(zoo, results.Path, "--attach");
        exit = attach.WaitForExit(JobTimeout);
        Assert.True(exit == 0, $"attach: exit {exit}\n{attach.Stdout}\n{WwProcess.Tail(attach.Stderr)}");
        Assert.Contains($"zoo job {jobId}: 9 models, {layers} layers", attach.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, Regex.Count(string.Concat(cluster.Workers.Select(w => w.Process!.Stderr)), "planning models"));

        // Attaching to work the cluster has not done is a clear refusal, not a new job.
        using var elsewhere = new TempDir();
        var stray = cluster.Submit(zoo, elsewhere.Path, "--attach");
        exit = stray.WaitForExit(JobTimeout);
        Assert.True(exit == 2, $"attach to other work: exit {exit}\n{stray.Stdout}\n{WwProcess.Tail(stray.Stderr)}");
        Assert.Contains("nothing to attach to", stray.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(elsewhere.Path, "results", "cache")));
        TestContext.Current.SendDiagnosticMessage(
            $"submitter killed at {storedAtKill}/{layers} layers; the re-submission followed job {jobId}, which finished {finished:F1} s after the kill " +
            $"({manifest.Counts.LayersAnalyzed} analyzed, {manifest.Counts.Resent} resent); attach reported it");
    }

    [Fact]
    public void Killing_the_coordinator_host_while_it_writes_the_reports_leaves_one_set_of_reports()
    {
        using var zooFolder = new TempDir();
        using var reference = new TempDir();
        var (cluster, zoo, expected) = Start("reporting-kill", zooFolder, reference);
        using var _ = cluster;
        using var results = new TempDir();
        string resultsDir = Path.Combine(results.Path, "results");
        int layers = expected.LayerCount;
        var runner = cluster.Submit(zoo, results.Path);

        // The tables are the reports' first files and the manifest their last: between the two, the
        // coordinator is writing history, the HTML site with its figures and the run's copies.
        string table = Path.Combine(resultsDir, "layers.csv");
        string manifestFile = Path.Combine(resultsDir, "manifest.json");
        cluster.WaitFor(() => File.Exists(table) || runner.HasExited, JobTimeout, "the reports to start");
        cluster.CoordinatorHost().Process!.Kill();
        Assert.False(File.Exists(manifestFile), "the reports were finished before the kill: the test did not kill during reporting");
        var clock = Stopwatch.StartNew();

        int exit = runner.WaitForExit(JobTimeout);
        Assert.True(exit == 0, $"exit {exit}\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
        double recovery = clock.Elapsed.TotalSeconds;
        expected.AssertSameAs(JobTables.Read(results.Path));
        var manifest = ResultFiles.Manifest(resultsDir);
        string jobId = JobIdOf(runner.Stderr);
        Assert.Equal(jobId, manifest.JobId);
        // The successor found every layer stored and wrote the reports again, over the same names.
        Assert.Equal(2, cluster.CoordinatorHosts().Count);
        Assert.Equal(layers, manifest.Counts.LayersCached);
        Assert.Equal(0, manifest.Counts.LayersFailed);
        Assert.Equal([jobId], Directory.GetDirectories(Path.Combine(resultsDir, "runs")).Select(Path.GetFileName));
        Assert.Equal([$"{jobId}.json"], Directory.GetFiles(Path.Combine(resultsDir, "state", "runs")).Select(Path.GetFileName));
        // The history holds the run once: one row per model and metric, all of this job.
        var history = ResultFiles.Csv(resultsDir, "history.csv").Skip(1).ToList();
        Assert.NotEmpty(history);
        Assert.All(history, row => Assert.StartsWith(jobId + ",", row, StringComparison.Ordinal));
        var modelMetric = history.Select(r => r.Split(',')).Select(c => (c[2], c[5])).ToList();
        Assert.Equal(modelMetric.Count, modelMetric.Distinct().Count());
        // Compared with no earlier run: the run's own half-written records are not taken for a previous run.
        Assert.Contains("\"previous_job_id\": null", File.ReadAllText(Path.Combine(resultsDir, "changes.json")), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(results.Path, "*.tmp*", SearchOption.AllDirectories));
        TestContext.Current.SendDiagnosticMessage($"coordinator host killed while writing the reports; the successor re-reported job {jobId} ({manifest.Counts.LayersCached} layers from the store) and the job finished {recovery:F1} s after the kill");
    }

    private static string JobIdOf(string log) =>
        JobId().Match(log) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException("no job id in the submitter's log:\n" + WwProcess.Tail(log));

    [GeneratedRegex(@"Submitting zoo job (\S+)")]
    private static partial Regex JobId();
}
