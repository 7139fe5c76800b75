using WeightWatcher.Deploy.Tests.Support;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// The image built from deploy/Dockerfile by podman (slow: it builds the base images and the image once per
/// run). It runs as Kubernetes runs it: non-root, read-only root filesystem with /tmp as the only scratch.
/// </summary>
[Collection(ContainerImageCollection.Name)]
public sealed class ImageTests(ContainerImage image)
{
    private static readonly string[] ReadOnlyRoot = ["--read-only", "--tmpfs", "/tmp"];

    [Fact]
    public void Info_check_passes_with_native_OpenBlas_inside()
    {
        TestContext.Current.SendDiagnosticMessage(image.Image.ToString());
        var info = ContainerImage.RunImage(TimeSpan.FromMinutes(3), ReadOnlyRoot, "info", "--check");
        Assert.True(info.ExitCode == 0, $"ww info --check in the image: {info}");
        Assert.Matches(@"backend: OpenBLAS [0-9.]+ \(native provider libMathNetNumericsOpenBLAS\.so\)", info.Stdout);
        Assert.Matches(@"check: OpenBLAS .* vs managed .*: OK", info.Stdout);
        TestContext.Current.SendDiagnosticMessage(info.Stdout.Split('\n').First(l => l.StartsWith("  build:", StringComparison.Ordinal)).Trim());
    }

    [Fact]
    public void The_image_runs_ww_as_the_non_root_app_user()
    {
        _ = image.Image;
        var config = ContainerImage.Run(TimeSpan.FromMinutes(1), "image", "inspect", "--format", "{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}", ContainerImage.Tag);
        Assert.True(config.ExitCode == 0, config.ToString());
        Assert.Equal("1654|[\"dotnet\",\"/app/ww.dll\"]|[\"node\"]", config.Stdout.Trim());
        var id = ContainerImage.Run(TimeSpan.FromMinutes(1), ["run", "--rm", .. ContainerImage.RunOptions, .. ReadOnlyRoot, "--entrypoint", "id", ContainerImage.Tag, "-u"]);
        Assert.Equal("1654", id.Stdout.Trim());
        // Nothing but ww's own build output and the demo zoo was added to the runtime base: no SDK, no compiler.
        var sdk = ContainerImage.Run(TimeSpan.FromMinutes(1), ["run", "--rm", .. ContainerImage.RunOptions, "--entrypoint", "dotnet", ContainerImage.Tag, "--list-sdks"]);
        Assert.Equal("", sdk.Stdout.Trim());
    }

    [Fact]
    public void The_demo_zoo_runs_in_the_image()
    {
        var demo = image.Image;
        using var cache = new HostFolder("ww-demo-");
        var run = ContainerImage.RunImage(TimeSpan.FromMinutes(10), [.. ReadOnlyRoot, "-v", $"{cache.Path}:/cache", "-e", "XDG_CACHE_HOME=/cache", "-e", "WW_LOG_LEVEL=Warning"], "zoo", "run");
        Assert.True(run.ExitCode == 0, $"ww zoo run (the demo) in the image: {run}");
        Assert.Contains("demo zoo: 4 models", run.Stderr);
        string results = Path.Combine(cache.Path, "weightwatcher", "demo-zoo", "results");
        var layers = File.ReadAllLines(Path.Combine(results, "layers.csv"));
        var models = layers.Skip(1).Select(l => l.Split(',')[0]).Distinct().Order().ToList();
        Assert.Equal(["all-minilm-l6-v2", "resnet18", "snowflake-arctic-embed-xs", "ww-reference-model"], models);
        Assert.Matches(@"zoo job \S+: 4 models, \d+ layers \(\d+ analyzed, 0 from earlier runs, 0 failed\)", run.Stdout);
        TestContext.Current.SendDiagnosticMessage($"demo zoo in the image: {run.Stdout.Split('\n')[0].Trim()}; {demo}");
    }

    [Fact]
    public async Task A_node_container_binds_every_interface_becomes_ready_and_stops_on_sigterm()
    {
        // As in a pod: bind 0.0.0.0 (the image's default), advertise a reachable name, HTTP on its own port.
        _ = image.Image;
        int akka = BackgroundProcess.FreePort(), http = BackgroundProcess.FreePort();
        string name = $"ww-test-{Guid.NewGuid():N}"[..20];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var started = ContainerImage.Run(TimeSpan.FromMinutes(1), ["run", "--detach", "--name", name, .. ContainerImage.RunOptions, .. ReadOnlyRoot, "--tmpfs", "/staging",
            "-e", $"WW_PORT={akka}", "-e", $"WW_HTTP_PORT={http}", "-e", "WW_PUBLIC_HOSTNAME=127.0.0.1", "-e", $"WW_SEEDS=127.0.0.1:{akka}", ContainerImage.Tag]);
        Assert.True(started.ExitCode == 0, started.ToString());
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string ready = "";
            while (clock.Elapsed < TimeSpan.FromMinutes(2) && !ready.StartsWith("ready:", StringComparison.Ordinal))
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
                try
                {
                    ready = await client.GetStringAsync($"http://127.0.0.1:{http}/ready", TestContext.Current.CancellationToken);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }
            }
            double readySeconds = clock.Elapsed.TotalSeconds;
            Assert.True(ready.StartsWith("ready: member Up, shard region registered", StringComparison.Ordinal), $"not ready after 2 minutes: {ready}\n{ContainerImage.Run(TimeSpan.FromMinutes(1), "logs", name)}");
            Assert.Contains("# TYPE ww_layers_in_flight gauge", await client.GetStringAsync($"http://127.0.0.1:{http}/metrics", TestContext.Current.CancellationToken));

            // SIGTERM, as the kubelet sends it: coordinated shutdown, exit 143 (128 + SIGTERM) well within the pod's grace period.
            clock.Restart();
            var stop = ContainerImage.Run(TimeSpan.FromMinutes(2), "stop", "--time", "60", name);
            Assert.True(stop.ExitCode == 0, stop.ToString());
            double stopSeconds = clock.Elapsed.TotalSeconds;
            // Exit code 143 (128 + SIGTERM, after leaving), not 137: it left before podman's SIGKILL at 60 s (the chart's grace period).
            var state = ContainerImage.Run(TimeSpan.FromMinutes(1), "inspect", "--format", "{{.State.ExitCode}}", name);
            Assert.Equal("143", state.Stdout.Trim());
            TestContext.Current.SendDiagnosticMessage(FormattableString.Invariant($"node container: start to ready {readySeconds:F1} s, SIGTERM to exit {stopSeconds:F1} s"));
        }
        finally
        {
            ContainerImage.Run(TimeSpan.FromMinutes(1), "rm", "--force", name);
        }
    }
}
