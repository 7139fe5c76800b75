using WeightWatcher.Cluster.Tests.Support;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A node's staging folder (its local copies of models held in blob storage) on a file system too small for
/// them (a 96 KB tmpfs the test mounts, zoo in Azurite): the layers that cannot be staged fail naming the
/// staging path and the reason, the rest of the job goes on, no half-staged copy is left, and once there is
/// room the next run completes with the tables of a folder run.
/// </summary>
public sealed class StagingFullTests : IClassFixture<AzuriteFixture>
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);
    private readonly AzuriteFixture _azurite;

    public StagingFullTests(AzuriteFixture azurite)
    {
        _azurite = azurite;
    }

    [Fact]
    public async Task A_full_staging_folder_fails_the_layers_clearly_and_the_next_run_after_space_is_freed_completes()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var container = _azurite.CreateContainerClient("staging" + Guid.NewGuid().ToString("N")[..8]);
        await container.CreateAsync(cancellationToken: cancellation);
        using var local = new TempDir();
        TestZoo.Write(local.Path, withBadInput: false);
        using (var blob = new AzureBlobStore(container))
        {
            string models = Path.Combine(local.Path, "models");
            foreach (var file in Directory.EnumerateFiles(models, "*", SearchOption.AllDirectories))
            {
                await blob.WriteAsync("models/" + Path.GetRelativePath(models, file).Replace('\\', '/'), await File.ReadAllBytesAsync(file, cancellation), cancellation);
            }
        }
        using var staging = new TempDir();
        var mount = HostCommand.Run("mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", staging.Path);
        Prerequisite.Require(mount.ExitCode == 0, $"mounting a small tmpfs needs root (CI runs as root): {mount.Output}");
        try
        {
            var env = new Dictionary<string, string> { [StoreFactory.ConnectionStringVariable] = _azurite.ConnectionString, ["WW_LOG_LEVEL"] = "Warning" };
            using var results = new TempDir();
            string[] args = ["zoo", "run", "--store", "az://" + container.Name, "--models", "models/", "--result-store", results.Path, "--no-html", "--staging", staging.Path, "--task-timeout", "60"];
            var full = WwProcess.Run(JobTimeout, env, args);
            Assert.True(full.ExitCode == 3, $"exit {full.ExitCode}\n{full.Stdout}\n{WwProcess.Tail(full.Stderr)}");
            var manifest = ResultFiles.Manifest(Path.Combine(results.Path, "results"));
            Assert.NotEmpty(manifest.Failures);
            Assert.All(manifest.Failures, f =>
            {
                Assert.Contains("No space left on device", f.Reason, StringComparison.Ordinal);
                Assert.Contains(staging.Path, f.Reason, StringComparison.Ordinal);
            });
            Assert.True(manifest.Counts.LayersAnalyzed > 0, "nothing fitted: the test shows no job going on past the full folder");
            // Nothing half-staged: no partial copy, no file of a model whose copy did not complete.
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(staging.Path, "*", SearchOption.AllDirectories), e => e.Contains(".partial-", StringComparison.Ordinal));

            HostCommand.Check("mount", "-o", "remount,size=64m", "tmpfs", staging.Path);
            var again = WwProcess.Run(JobTimeout, env, args);
            Assert.True(again.ExitCode == 0, $"after freeing space: exit {again.ExitCode}\n{WwProcess.Tail(again.Stderr)}");
            using var folderResults = new TempDir();
            var folderRun = WwProcess.Run(JobTimeout, null, "zoo", "run", "--store", local.Path, "--models", "models/", "--result-store", folderResults.Path, "--no-html");
            Assert.Equal(0, folderRun.ExitCode);
            Assert.Equal(ResultFiles.Csv(Path.Combine(folderResults.Path, "results"), "layers.csv"), ResultFiles.Csv(Path.Combine(results.Path, "results"), "layers.csv"));
            TestContext.Current.SendDiagnosticMessage($"staging full: {manifest.Failures.Count} layers failed ({manifest.Failures[0].Reason}), {manifest.Counts.LayersAnalyzed} analyzed; after remounting: {again.Stdout.Split('\n')[0]}");
        }
        finally
        {
            HostCommand.Run("umount", "-l", staging.Path);
        }
    }
}
