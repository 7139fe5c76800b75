using System.Diagnostics;
using System.Text.RegularExpressions;
using WeightWatcher.Deploy.Tests.Support;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// <c>./ww</c>, the README's first command: executable, valid bash, named by the README, and installing
/// the same native prerequisites as the container build (read, not run: a run publishes for minutes).
/// </summary>
public sealed partial class LauncherTests
{
    private static string Launcher => Path.Combine(RepoPaths.Root, "ww");

    [Fact]
    public void The_readme_first_command_is_the_launcher_on_the_demo_zoo()
    {
        var commands = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md")).SkipWhile(l => l != "```").Skip(1).TakeWhile(l => l != "```").ToList();
        Assert.Equal(["./ww zoo run", "dotnet tool restore && dotnet cake --target=Test"], commands);
    }

    [Fact]
    public void The_launcher_is_executable_valid_bash()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes only");
        Assert.StartsWith("#!/usr/bin/env bash", File.ReadAllText(Launcher));
#pragma warning disable CA1416 // skipped on Windows above
        Assert.True(File.GetUnixFileMode(Launcher).HasFlag(UnixFileMode.UserExecute), "./ww is not executable");
#pragma warning restore CA1416
        using var bash = Process.Start(new ProcessStartInfo("bash", ["-n", Launcher]) { RedirectStandardError = true })!;
        string stderr = bash.StandardError.ReadToEnd();
        bash.WaitForExit();
        Assert.True(bash.ExitCode == 0, stderr);
    }

    [Fact]
    public void The_launcher_installs_what_the_container_build_installs_with_sudo_when_not_root_and_builds_release()
    {
        string text = File.ReadAllText(Launcher);
        string dockerfile = File.ReadAllText(Path.Combine(RepoPaths.Deploy, "Dockerfile"));
        // The launcher asks the native build's one prerequisite check (prerequisites.sh) what is missing.
        Assert.Contains("src/WeightWatcher.Native/prerequisites.sh", text, StringComparison.Ordinal);
        string check = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "WeightWatcher.Native", "prerequisites.sh"));
        var packages = PackageNames().Matches(check).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Equal(["liblapacke-dev", "libopenblas-dev", "cmake", "gcc"], packages);
        Assert.All(packages, p => Assert.Contains(p, dockerfile, StringComparison.Ordinal));
        Assert.Contains("apt-get install -y", text, StringComparison.Ordinal);
        Assert.Contains("sudo=(sudo)", text, StringComparison.Ordinal);
        Assert.Contains("-c Release", text, StringComparison.Ordinal);
        Assert.Contains("PublishReadyToRun=true", text, StringComparison.Ordinal);
        Assert.Contains("export WW_LAUNCHER=", text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"missing\+=\(([\w-]+)\)")]
    private static partial Regex PackageNames();
}
