using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using WeightWatcher.Cluster.Coordination;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Cluster.Tests.Support;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// The blob service goes away in the middle of a zoo job: an Azurite of the test's own (never the shared
/// fixture) is stopped when about a quarter of the layers are stored. Back within the retry budget
/// (<c>--store-timeout</c>, 30 s by default), the job waits for it and completes with every layer exactly once,
/// the tables of an undisturbed run, and its retries logged and counted in the manifest, workers' included.
/// Gone for good, the job fails within a bounded time with one error, and the previous run's reports are as
/// they were.
/// </summary>
public sealed partial class BlobOutageTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(8);

    /// <summary>How long the service is unavailable: from its port closing to its port answering again.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_20_second_outage_mid_job_is_waited_for_every_layer_stored_once_and_the_tables_unchanged()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        azurite.EnsureRunning();

        using var zoo = new TempDir();
        string models = Path.Combine(zoo.Path, "models");
        TestZoo.WriteMany(models, count: 40);
        // The undisturbed run: the same files in a folder, one process.
        var reference = WwProcess.Run(JobTimeout, null, "zoo", "run", "--store", zoo.Path, "--models", "models/", "--no-html");
        Assert.True(reference.ExitCode == 0, $"reference run: exit {reference.ExitCode}\n{WwProcess.Tail(reference.Stderr)}");
        string referenceDir = Path.Combine(zoo.Path, "results");
        var expectedLayers = ResultFiles.Csv(referenceDir, "layers.csv");
        var expectedModels = ResultFiles.Csv(referenceDir, "models.csv");
        int layers = expectedLayers.Length - 1;

        string name = "outage" + Guid.NewGuid().ToString("N")[..8];
        var container = azurite.CreateContainerClient(name);
        await container.CreateAsync(cancellationToken: cancellation);
        using var store = new AzureBlobStore(container);
        await BlobZoo.UploadAsync(store, models, "models/");

        // Two processes: a node (the oldest member: the coordinator lives there) and the submitter, a worker too.
        int[] ports = [FreePorts.Next(), FreePorts.Next(), FreePorts.Next()];
        string seeds = $"127.0.0.1:{ports[0]}";
        var env = BlobZoo.Environment(azurite, new() { ["WW_AKKA_LOG_LEVEL"] = "INFO" });
        var processes = new List<WwProcess>();
        try
        {
            var node = WwProcess.Start(env, "node", "--port", ports[0].ToString(), "--seeds", seeds, "--parallel", "1", "--min-workers", "2", "--http-port", ports[2].ToString());
            processes.Add(node);
            WaitFor(() => node.Stderr.Contains("forming a new cluster", StringComparison.Ordinal), TimeSpan.FromSeconds(90), "the node to form the cluster", processes);
            var runner = WwProcess.Start(env, "zoo", "run", "--store", "az://" + name, "--models", "models/", "--no-html",
                "--seeds", seeds, "--port", ports[1].ToString(), "--work", "--parallel", "1", "--min-workers", "2");
            processes.Add(runner);

            int storedAtStop = await WaitForStoredAsync(container, layers / 4, runner, processes);
            Assert.False(runner.HasExited, $"the job ended before the outage\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
            var down = Stopwatch.StartNew();
            await azurite.StopAsync();
            // Started again so that it answers about the outage after it closed its port (its start takes seconds here).
            var wait = Outage - down.Elapsed - azurite.LastStartTime;
            await Task.Delay(wait > Outage / 2 ? wait : Outage / 2, cancellation);
            await azurite.StartAgainAsync();
            double outage = down.Elapsed.TotalSeconds;
            var back = Stopwatch.StartNew();
            int storedAtRestart = await BlobZoo.StoredLayersAsync(container, "results/");
            await WaitForStoredAsync(container, storedAtRestart + 1, runner, processes);
            double firstLayerAfter = back.Elapsed.TotalSeconds;

            int exit = runner.WaitForExit(JobTimeout);
            double finishedAfter = back.Elapsed.TotalSeconds;
            Assert.True(exit == 0, $"exit {exit}\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}\nnode:\n{WwProcess.Tail(node.Stderr)}");

            var actualLayers = Lines(await BlobZoo.ReadAsync(store, "results/layers.csv", cancellation));
            Assert.Equal(expectedLayers, actualLayers);
            Assert.Equal(expectedModels, Lines(await BlobZoo.ReadAsync(store, "results/models.csv", cancellation)));
            var keys = actualLayers.Skip(1).Select(l => string.Join(',', l.Split(',').Take(2))).ToList();
            Assert.Equal(keys.Count, keys.Distinct().Count());
            var manifest = JsonSerializer.Deserialize<JobManifest>(await BlobZoo.ReadAsync(store, "results/manifest.json", cancellation), ZooReporting.ManifestJson)!;
            Assert.Empty(manifest.Failures);
            Assert.Equal((layers, layers, 0), (manifest.Counts.Layers, manifest.Counts.LayersAnalyzed, manifest.Counts.LayersFailed));

            // Each retry is a warning naming the store and the operation, and the manifest counts them all,
            // the submitter's worker's (sent with its replies) as well as the node's.
            var nodeRetries = Retries(node.Stderr, store.Description);
            var runnerRetries = Retries(runner.Stderr, store.Description);
            Assert.True(nodeRetries > 0 && runnerRetries > 0, $"retries logged: node {nodeRetries}, submitter {runnerRetries}\n{WwProcess.Tail(runner.Stderr)}");
            Assert.Equal(nodeRetries + runnerRetries, manifest.Counts.StoreRetries);
            // And the node's Prometheus counter says as many as its log.
            using (var http = new HttpClient())
            {
                string metrics = await http.GetStringAsync($"http://127.0.0.1:{ports[2]}/metrics", cancellation);
                Assert.Contains($"\nww_store_retries_total {nodeRetries}\n", metrics, StringComparison.Ordinal);
            }
            Assert.DoesNotContain(AzuriteFixture.AccountKey, node.Stderr + runner.Stderr + runner.Stdout, StringComparison.Ordinal);
            int recovered = Recovered(node.Stderr) + Recovered(runner.Stderr);
            TestContext.Current.SendDiagnosticMessage(FormattableString.Invariant(
                $"outage of {outage:F1} s (Azurite's start {azurite.LastStartTime.TotalSeconds:F1} s) at {storedAtStop}/{layers} layers stored; ") + FormattableString.Invariant(
                $"first layer stored {firstLayerAfter:F1} s after the service was back, job finished {finishedAfter:F1} s after; ") +
                $"retries: {manifest.Counts.StoreRetries} in the manifest (node {nodeRetries}, submitter {runnerRetries} logged), {recovered} requests succeeded after retrying; " +
                $"layers re-sent {manifest.Counts.Resent}; duplicate rows {keys.Count - keys.Distinct().Count()}");
        }
        finally
        {
            KeepLogs("outage", processes);
            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_store_gone_for_good_mid_job_fails_it_within_the_budget_with_one_error_and_the_previous_reports_intact()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        azurite.EnsureRunning();
        string name = "gone" + Guid.NewGuid().ToString("N")[..8];
        var container = azurite.CreateContainerClient(name);
        await container.CreateAsync(cancellationToken: cancellation);
        using var store = new AzureBlobStore(container);
        using var zoo = new TempDir();
        TestZoo.WriteMany(Path.Combine(zoo.Path, "v1"), count: 10);
        await BlobZoo.UploadAsync(store, Path.Combine(zoo.Path, "v1"), "models/");
        var env = BlobZoo.Environment(azurite);
        string[] run = ["zoo", "run", "--store", "az://" + name, "--models", "models/", "--no-html"];
        var first = WwProcess.Run(JobTimeout, env, run);
        Assert.True(first.ExitCode == 0, $"first run: exit {first.ExitCode}\n{WwProcess.Tail(first.Stderr)}");
        var manifest = JsonSerializer.Deserialize<JobManifest>(await BlobZoo.ReadAsync(store, "results/manifest.json", cancellation), ZooReporting.ManifestJson)!;
        var reports = manifest.Reports.Append("results/manifest.json").ToList();
        var before = new Dictionary<string, byte[]>();
        foreach (var report in reports)
        {
            before[report] = await BlobZoo.ReadAsync(store, report, cancellation);
        }

        // The nightly run finds 40 new models; the blob service goes away for good a quarter of the way in.
        TestZoo.WriteMany(Path.Combine(zoo.Path, "v2"), count: 40, first: 10);
        await BlobZoo.UploadAsync(store, Path.Combine(zoo.Path, "v2"), "models/");
        var processes = new List<WwProcess>();
        try
        {
            var runner = WwProcess.Start(env, run);
            processes.Add(runner);
            int stored = await WaitForStoredAsync(container, manifest.Counts.Layers + 30, runner, processes);
            Assert.False(runner.HasExited, $"the job ended before the service went away\n{WwProcess.Tail(runner.Stderr)}");
            var gone = Stopwatch.StartNew();
            await azurite.StopAsync();
            int exit = runner.WaitForExit(JobTimeout);
            double failedAfter = gone.Elapsed.TotalSeconds;

            Assert.True(exit == 2, $"exit {exit}\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
            var error = Assert.Single(runner.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.Contains("the store did not answer within its retry budget (--store-timeout)", error, StringComparison.Ordinal);
            Assert.Contains(store.Description, error, StringComparison.Ordinal);
            Assert.Matches("no answer from the blob service after [0-9]+ tries", error);
            Assert.DoesNotContain(AzuriteFixture.AccountKey, runner.Stderr + runner.Stdout, StringComparison.Ordinal);
            // A bound, not a speed figure: the budget (30 s by default), then the member's stop.
            Assert.True(failedAfter < StoreFactory.DefaultRetryBudget.TotalSeconds * 3, $"failed {failedAfter:F1} s after the service went away");

            // Back (an operator fixed it): the reports of the run before are there, byte for byte, and the
            // next run completes from the layers the failed one stored.
            await azurite.StartAgainAsync();
            foreach (var report in reports)
            {
                var now = await BlobZoo.ReadAsync(store, report, cancellation);
                Assert.True(before[report].SequenceEqual(now), $"{report} changed");
            }
            int kept = await BlobZoo.StoredLayersAsync(container, "results/");
            var next = WwProcess.Run(JobTimeout, env, run);
            Assert.True(next.ExitCode == 0, $"next run: exit {next.ExitCode}\n{WwProcess.Tail(next.Stderr)}");
            var after = JsonSerializer.Deserialize<JobManifest>(await BlobZoo.ReadAsync(store, "results/manifest.json", cancellation), ZooReporting.ManifestJson)!;
            Assert.Equal((50 * 3, 0, kept), (after.Counts.Layers, after.Counts.LayersFailed, after.Counts.LayersCached));
            TestContext.Current.SendDiagnosticMessage(FormattableString.Invariant(
                $"service gone at {stored} layers stored: exit {exit} {failedAfter:F1} s later (default budget {StoreFactory.DefaultRetryBudget.TotalSeconds:0} s); ") +
                $"the next run found {kept} layers stored and analyzed {after.Counts.LayersAnalyzed}");
        }
        finally
        {
            KeepLogs("store-gone", processes);
            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }

    /// <summary>Retry warnings in a log, each checked to name the store and an operation of the blob API.</summary>
    private static int Retries(string log, string store)
    {
        int count = 0;
        foreach (var line in log.Split('\n').Where(l => l.Contains("WRN] Blob store ", StringComparison.Ordinal)))
        {
            var match = RetryWarning().Match(line);
            Assert.True(match.Success, "a retry warning of another form: " + line);
            Assert.Equal(store, match.Groups["store"].Value);
            count++;
        }
        return count;
    }

    private static int Recovered(string log) =>
        log.Split('\n').Count(l => l.Contains("INF] Blob store ", StringComparison.Ordinal) && l.Contains(" succeeded after ", StringComparison.Ordinal));

    [GeneratedRegex(@"WRN\] Blob store (?<store>\S+): (?<operation>read|write|get properties of|list|write a block of|commit blocks of|delete|create) (?<target>the container|\S+) failed \(.+\); retry \d+ in ")]
    private static partial Regex RetryWarning();

    private static string[] Lines(byte[] csv) =>
        System.Text.Encoding.UTF8.GetString(csv).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();

    /// <summary>Waits until at least <paramref name="count"/> layer results are stored; returns how many there are.</summary>
    private static async Task<int> WaitForStoredAsync(Azure.Storage.Blobs.BlobContainerClient container, int count, WwProcess runner, List<WwProcess> processes)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            int stored = await BlobZoo.StoredLayersAsync(container, "results/");
            if (stored >= count || runner.HasExited)
            {
                return stored;
            }
            if (clock.Elapsed > JobTimeout)
            {
                Assert.Fail($"timed out waiting for {count} layers stored ({stored})\n" + string.Join("\n----\n", processes.Select(p => WwProcess.Tail(p.Stderr, 30))));
            }
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

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

    /// <summary>Each member's log, kept for diagnosis under the system temp folder.</summary>
    private static void KeepLogs(string test, List<WwProcess> processes)
    {
        string logs = Path.Combine(Path.GetTempPath(), "ww-cluster-test-logs", test);
        Directory.CreateDirectory(logs);
        for (int i = 0; i < processes.Count; i++)
        {
            File.WriteAllText(Path.Combine(logs, $"process{i + 1}.log"), processes[i].Stderr);
        }
    }
}
