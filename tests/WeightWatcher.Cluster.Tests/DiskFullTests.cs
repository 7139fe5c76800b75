using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A result store on a file system that fills up mid-job (a 200 KB tmpfs the test mounts): the job fails
/// with one error naming the path and the reason, no table is left half-written (each is there whole or not at all), and once there is room the
/// next run completes with the same tables as a run that never lacked space.
/// </summary>
public sealed class DiskFullTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public void A_full_result_store_fails_the_job_cleanly_and_the_next_run_after_space_is_freed_completes()
    {
        using var zoo = new TempDir();
        TestZoo.Write(zoo.Path, withBadInput: false);
        using var roomy = new TempDir();
        using var small = new TempDir();
        var mount = HostCommand.Run("mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", small.Path);
        Prerequisite.Require(mount.ExitCode == 0, $"mounting a small tmpfs needs root (CI runs as root): {mount.Output}");
        try
        {
            string[] args = ["zoo", "run", "--store", zoo.Path, "--models", "models/", "--no-html", "--result-store"];
            var full = WwProcess.Run(JobTimeout, null, [.. args, small.Path]);
            Assert.True(full.ExitCode == 2, $"exit {full.ExitCode}\n{WwProcess.Tail(full.Stderr)}");
            var error = Assert.Single(full.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.Contains("No space left on device", error, StringComparison.Ordinal);
            Assert.Contains(small.Path, error, StringComparison.Ordinal);
            string results = Path.Combine(small.Path, "results");
            Assert.Empty(Directory.EnumerateFiles(small.Path, "*.wwtmp", SearchOption.AllDirectories));
            var reference = WwProcess.Run(JobTimeout, null, [.. args, roomy.Path]);
            Assert.Equal(0, reference.ExitCode);
            // Tables are replaced whole (written beside, then renamed): one that is there is complete.
            foreach (var table in new[] { "layers.csv", "models.csv", "series.csv" }.Where(t => File.Exists(Path.Combine(results, t))))
            {
                Assert.Equal(File.ReadAllText(Path.Combine(roomy.Path, "results", table)), File.ReadAllText(Path.Combine(results, table)));
            }
            Assert.False(File.Exists(Path.Combine(results, "manifest.json")), "the manifest of a failed job was written");

            HostCommand.Check("mount", "-o", "remount,size=64m", "tmpfs", small.Path);
            var again = WwProcess.Run(JobTimeout, null, [.. args, small.Path]);
            Assert.True(again.ExitCode == 0, $"after freeing space: exit {again.ExitCode}\n{WwProcess.Tail(again.Stderr)}");
            foreach (var table in new[] { "layers.csv", "models.csv", "series.csv" })
            {
                Assert.Equal(File.ReadAllText(Path.Combine(roomy.Path, "results", table)), File.ReadAllText(Path.Combine(results, table)));
            }
            TestContext.Current.SendDiagnosticMessage($"disk full: {error.Trim()}; after remounting: {again.Stdout.Split('\n')[0]}");
        }
        finally
        {
            HostCommand.Run("umount", "-l", small.Path);
        }
    }
}
