using System.Diagnostics;
using System.Globalization;

namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>
/// The real image: deploy/Dockerfile built with podman from base images made locally by
/// deploy/scripts/make-base-images.sh (debootstrap + this machine's .NET; no registry), once per test run.
/// Podman or debootstrap missing: skipped on a developer machine, a failure under CI (.ci/run installs them).
/// Podman present but unable to run a container here: skipped, with podman's reason.
/// </summary>
public sealed class ContainerImage
{
    /// <summary>The tag the tests build and run.</summary>
    public const string Tag = "localhost/weightwatcher-cluster:test";

    /// <summary>The names make-base-images.sh gives the local base images (the Dockerfile's, less the digest).</summary>
    public const string SdkImage = "mcr.microsoft.com/dotnet/sdk:10.0";

    /// <summary>See <see cref="SdkImage"/>.</summary>
    public const string RuntimeImage = "mcr.microsoft.com/dotnet/runtime:10.0";

    /// <summary>Options every podman run needs on these machines (measured: see deploy/README.md).</summary>
    public static readonly string[] RunOptions = ["--network", "host", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];

    private readonly Lazy<Built> _built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>podman.</summary>
    public static string Podman => Tools.OnPath("podman") ?? Tools.Missing("podman (apt-get install podman buildah runc; .ci/run does)");

    /// <summary>Seconds the base images took (0: reused), the image build took, and the image's size.</summary>
    public Built Image => _built.Value;

    /// <summary>Runs <c>podman --runtime runc args</c>.</summary>
    public static ProcResult Run(TimeSpan timeout, params string[] args) => Proc.Run(Podman, ["--runtime", "runc", .. args], timeout);

    /// <summary>Runs the image with <paramref name="args"/> (options first, then the image, then ww's arguments), removed afterwards.</summary>
    public static ProcResult RunImage(TimeSpan timeout, IEnumerable<string> options, params string[] wwArgs) =>
        Run(timeout, ["run", "--rm", .. RunOptions, .. options, Tag, .. wwArgs]);

    private static Built Build()
    {
        string podman = Podman;
        if (Tools.OnPath("debootstrap") is null)
        {
            Tools.Missing("debootstrap (apt-get install debootstrap; .ci/run does)");
        }
        var clock = Stopwatch.StartNew();
        var bases = Proc.Run("bash", [Path.Combine(RepoPaths.Scripts, "make-base-images.sh")], TimeSpan.FromMinutes(25));
        Assert.True(bases.ExitCode == 0, $"make-base-images.sh: {bases}");
        double baseSeconds = clock.Elapsed.TotalSeconds;

        // Can podman run a container here at all? If not, that is the one reason to skip.
        var probe = Run(TimeSpan.FromMinutes(2), ["run", "--rm", .. RunOptions, RuntimeImage, "dotnet", "--list-runtimes"]);
        if (probe.ExitCode != 0)
        {
            Assert.Skip($"podman cannot run containers on this machine: {probe.Stderr.Trim()}");
        }

        // Offline: the packages the solution build restored are mounted where the Dockerfile restores to.
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        clock.Restart();
        var build = Run(TimeSpan.FromMinutes(40), [
            "build", "--pull=never", .. RunOptions,
            "--build-arg", $"SDK_IMAGE={SdkImage}", "--build-arg", $"RUNTIME_IMAGE={RuntimeImage}",
            "-v", $"{packages}:/nuget:ro", "--build-arg", "NUGET_SOURCE=/nuget",
            "--ignorefile", Path.Combine(RepoPaths.Deploy, "Dockerfile.dockerignore"),
            "-f", Path.Combine(RepoPaths.Deploy, "Dockerfile"), "-t", Tag, RepoPaths.Root]);
        Assert.True(build.ExitCode == 0, $"podman build of deploy/Dockerfile failed: {build}");
        double buildSeconds = clock.Elapsed.TotalSeconds;
        var size = Run(TimeSpan.FromMinutes(1), "image", "inspect", "--format", "{{.Size}}", Tag);
        Assert.True(size.ExitCode == 0, size.ToString());
        return new Built(baseSeconds, buildSeconds, long.Parse(size.Stdout.Trim(), CultureInfo.InvariantCulture), podman);
    }

    /// <summary>What building took and gave.</summary>
    public sealed record Built(double BaseImageSeconds, double BuildSeconds, long SizeBytes, string Podman)
    {
        /// <inheritdoc />
        public override string ToString() =>
            FormattableString.Invariant($"image {Tag}: {SizeBytes / 1e6:F0} MB; base images {BaseImageSeconds:F0} s, build {BuildSeconds:F0} s");
    }
}

/// <summary>The image tests share one build: one collection, run one test at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ContainerImageCollection : ICollectionFixture<ContainerImage>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "container image";
}
