using System.Diagnostics;
using System.Globalization;
using WeightWatcher.Deploy.Tests.Support;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// A cluster of image containers, as the chart runs it but on one host: three <c>ww node</c> containers (host
/// network, each on its own Akka and HTTP port) and a submitting <c>ww zoo run</c> container over the demo zoo
/// in a mounted folder store. One worker container is killed mid-run; the job must finish with the same
/// layers.csv as a one-process run of the same image.
/// </summary>
[Collection(ContainerImageCollection.Name)]
public sealed class ContainerClusterTests(ContainerImage image)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(2);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public void A_worker_container_killed_mid_run_changes_no_result()
    {
        _ = image.Image;
        using var zoo = new HostFolder("ww-container-zoo-");
        using var output = new HostFolder("ww-container-out-");
        // The one-process run of the image: it materialises the demo zoo into the mounted folder.
        var single = ContainerImage.RunImage(TimeSpan.FromMinutes(10), ["--read-only", "--tmpfs", "/tmp", "-v", $"{zoo.Path}:/cache", "-e", "XDG_CACHE_HOME=/cache", "-e", "WW_LOG_LEVEL=Warning"], "zoo", "run");
        Assert.True(single.ExitCode == 0, $"one-process demo run: {single}");
        string store = Path.Combine(zoo.Path, "weightwatcher", "demo-zoo");
        var expected = File.ReadAllLines(Path.Combine(store, "results", "layers.csv"));
        int layers = expected.Length - 1;

        string run = Guid.NewGuid().ToString("N")[..8];
        int[] akka = [BackgroundProcess.FreePort(), BackgroundProcess.FreePort(), BackgroundProcess.FreePort(), BackgroundProcess.FreePort()];
        int[] http = [BackgroundProcess.FreePort(), BackgroundProcess.FreePort(), BackgroundProcess.FreePort()];
        string seeds = $"127.0.0.1:{akka[0]},127.0.0.1:{akka[1]}";
        string[] mounts = ["-v", $"{store}:/zoo:ro", "-v", $"{output.Path}:/out"];
        var names = Enumerable.Range(0, 3).Select(i => $"ww-test-{run}-node{i}").ToList();
        var readySeconds = new double[3];
        BackgroundProcess? job = null;
        try
        {
            // Pod 0 first: it forms the cluster; the others join it (the StatefulSet's seeds, on one host).
            readySeconds[0] = StartNode(0);
            readySeconds[1] = StartNode(1);
            readySeconds[2] = StartNode(2);

            job = new BackgroundProcess(ContainerImage.Podman, ["--runtime", "runc", "run", "--rm", "--name", $"ww-test-{run}-job", .. ContainerImage.RunOptions,
                "--read-only", "--tmpfs", "/tmp", .. mounts, "-e", "WW_HOSTNAME=127.0.0.1", "-e", "WW_LOG_LEVEL=Information",
                ContainerImage.Tag, "zoo", "run", "--seeds", seeds, "--port", akka[3].ToString(CultureInfo.InvariantCulture),
                "--store", "/zoo", "--models", "models/", "--result-store", "/out", "--min-workers", "2", "--task-timeout", "120"]);

            // Kill a worker that does not host the coordinator once a quarter of the layers are stored.
            string cache = Path.Combine(output.Path, "results", "cache");
            WaitFor(() => Stored(cache) >= layers / 4 || job.HasExited, JobTimeout, "a quarter of the layers", () => job.Output);
            Assert.False(job.HasExited, $"the job ended before the kill:\n{job.Output}");
            int host = names.FindIndex(n => Logs(n).Contains("planning models", StringComparison.Ordinal));
            int victim = host == 2 ? 1 : 2;
            int storedAtKill = Stored(cache);
            var kill = ContainerImage.Run(TimeSpan.FromMinutes(1), "kill", "--signal", "KILL", names[victim]);
            Assert.True(kill.ExitCode == 0, kill.ToString());
            var clock = Stopwatch.StartNew();

            int exit = job.WaitForExit(JobTimeout);
            Assert.True(exit == 0, $"the job exited {exit}:\n{job.Output}");
            var actual = File.ReadAllLines(Path.Combine(output.Path, "results", "layers.csv"));
            Assert.Equal(expected, actual);
            string manifest = File.ReadAllText(Path.Combine(output.Path, "results", "manifest.json"));
            Assert.Contains("\"layersFailed\": 0", manifest);

            // The survivors' metrics count the layers they analyzed.
            double analyzed = Enumerable.Range(0, 3).Where(i => i != victim).Sum(i => Metric(http[i], "ww_layers_analyzed_total"));
            Assert.True(analyzed > 0, "no surviving worker reports analyzed layers");
            TestContext.Current.SendDiagnosticMessage(FormattableString.Invariant(
                $"start to ready: {string.Join(", ", readySeconds.Select(s => $"{s:F1} s"))}; worker {victim} killed at {storedAtKill}/{layers} layers (coordinator on {host}); job finished {clock.Elapsed.TotalSeconds:F1} s later; survivors analyzed {analyzed} layers; {image.Image}"));
        }
        finally
        {
            job?.Dispose();
            string logs = Path.Combine(Path.GetTempPath(), "ww-container-cluster-logs");
            Directory.CreateDirectory(logs);
            foreach (var name in names)
            {
                File.WriteAllText(Path.Combine(logs, $"{name}.log"), Logs(name));
                ContainerImage.Run(TimeSpan.FromMinutes(1), "rm", "--force", name);
            }
            if (job is not null)
            {
                File.WriteAllText(Path.Combine(logs, $"ww-test-{run}-job.log"), job.Output);
            }
        }

        double StartNode(int i)
        {
            var clock = Stopwatch.StartNew();
            var started = ContainerImage.Run(TimeSpan.FromMinutes(1), ["run", "--detach", "--name", names[i], .. ContainerImage.RunOptions,
                "--read-only", "--tmpfs", "/tmp", "--tmpfs", "/staging", .. mounts,
                "-e", "WW_HOSTNAME=127.0.0.1", "-e", $"WW_PORT={akka[i]}", "-e", $"WW_HTTP_PORT={http[i]}", "-e", $"WW_SEEDS={seeds}",
                "-e", "WW_MIN_WORKERS=2", "-e", "WW_PARALLEL=1", "-e", "WW_AKKA_LOG_LEVEL=INFO", ContainerImage.Tag, "node"]);
            Assert.True(started.ExitCode == 0, $"{names[i]}: {started}");
            // /alive answers as soon as the process serves; /ready only once the member is Up and its region registered.
            WaitFor(() => Status(http[i], "/ready") == 200, ReadyTimeout, $"{names[i]} to be ready", () => Logs(names[i]));
            double seconds = clock.Elapsed.TotalSeconds;
            Assert.Equal(200, Status(http[i], "/alive"));
            return seconds;
        }
    }

    private static string Logs(string container) => ContainerImage.Run(TimeSpan.FromMinutes(1), "logs", container) is var r ? r.Stdout + r.Stderr : "";

    private static int Stored(string cache) =>
        Directory.Exists(cache) ? Directory.EnumerateFiles(cache, "*.json", SearchOption.AllDirectories).Count() : 0;

    private static int Status(int port, string path)
    {
        try
        {
            using var response = Http.GetAsync($"http://127.0.0.1:{port}{path}").GetAwaiter().GetResult();
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    private static double Metric(int port, string name)
    {
        string text = Http.GetStringAsync($"http://127.0.0.1:{port}/metrics").GetAwaiter().GetResult();
        string line = text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string what, Func<string> log)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"timed out waiting for {what}:\n{string.Join('\n', log().Split('\n').TakeLast(40))}");
            }
            Thread.Sleep(250);
        }
    }
}
