using WeightWatcher.Deploy.Tests.Support;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// The image built from deploy/Dockerfile by podman (slow: it builds the base images and the image once per
/// run). It runs as Kubernetes runs it: non-root, read-only root filesystem with /tmp as the only scratch.
/// </summary>
[Collection(ContainerImageCollection.Name)]
public sealed class ImageSpec(ContainerImage image)
{
    private static readonly string[] ReadOnlyRoot = ["--read-only", "--tmpfs", "/tmp"];

    [Fact]
    public void InfoCheckPassesWithNativeOpenBlasInside()
    {
        TestContext.Current.SendDiagnosticMessage(image.Image.ToString());
        var info = ContainerImage.RunImage(TimeSpan.FromMinutes(3), ReadOnlyRoot, "info", "--check");
        Assert.True(info.ExitCode == 0, $"ww info --check in the image: {info}");
        Assert.Contains("backend: OpenBLAS (native provider libMathNetNumericsOpenBLAS.so)", info.Stdout);
        Assert.Matches(@"check: OpenBLAS .* vs managed .*: OK", info.Stdout);
        TestContext.Current.SendDiagnosticMessage(info.Stdout.Split('\n').First(l => l.StartsWith("  build:", StringComparison.Ordinal)).Trim());
    }

    [Fact]
    public void TheImageRunsWwAsTheNonRootAppUser()
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
    public void TheDemoZooRunsInTheImage()
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
}
