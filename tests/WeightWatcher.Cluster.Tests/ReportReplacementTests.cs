using System.Collections.Concurrent;
using System.Security.Cryptography;
using WeightWatcher.Cluster.Tests.Support;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// Reports are replaced atomically: a reader that keeps reading <c>layers.csv</c>, <c>models.csv</c> and
/// <c>manifest.json</c> through the store while a re-run (over a zoo with models added) rewrites them gets,
/// every time, the whole old content or the whole new one, never a mix, a truncated or an empty file: in a
/// blob container (each object one committed upload) and in a folder (a temporary file renamed into place).
/// </summary>
public sealed class ReportReplacementTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(6);

    private static readonly string[] Reports = ["layers.csv", "models.csv", "manifest.json"];

    [Fact]
    public async Task A_reader_racing_a_rerun_gets_the_whole_old_or_the_whole_new_reports_from_a_blob_container()
    {
        string name = "race" + Guid.NewGuid().ToString("N")[..8];
        var container = azurite.CreateContainerClient(name);
        await container.CreateAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var store = new AzureBlobStore(container);
        using var zoo = new TempDir();
        await RaceAsync(store, "az://" + name, BlobZoo.Environment(azurite), async (count, first) =>
        {
            string folder = Path.Combine(zoo.Path, $"from-{first}");
            TestZoo.WriteMany(folder, count, first: first);
            await BlobZoo.UploadAsync(store, folder, "models/");
        });
    }

    [Fact]
    public async Task A_reader_racing_a_rerun_gets_the_whole_old_or_the_whole_new_reports_from_a_folder()
    {
        using var zoo = new TempDir();
        using var store = new LocalFolderStore(zoo.Path);
        await RaceAsync(store, zoo.Path, null, (count, first) =>
        {
            TestZoo.WriteMany(Path.Combine(zoo.Path, "models"), count, first: first);
            return Task.CompletedTask;
        });
    }

    /// <summary>A run, models added, then a re-run with a reader racing it; checks every read.</summary>
    private static async Task RaceAsync(IModelStore store, string spec, Dictionary<string, string>? env, Func<int, int, Task> addModels)
    {
        string[] run = ["zoo", "run", "--store", spec, "--models", "models/", "--no-html"];
        await addModels(20, 0);
        var first = WwProcess.Run(JobTimeout, env, run);
        Assert.True(first.ExitCode == 0, $"first run: exit {first.ExitCode}\n{WwProcess.Tail(first.Stderr)}");
        var old = await ReadAllAsync(store);
        await addModels(5, 20);

        var reads = Reports.ToDictionary(r => r, _ => new ConcurrentBag<string>());
        var failures = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var report in Reports)
                {
                    try
                    {
                        reads[report].Add(Hash(await BlobZoo.ReadAsync(store, "results/" + report)));
                    }
                    catch (StoreException e)
                    {
                        failures.Add($"{report}: {e.Message}");
                    }
                }
            }
        });
        var second = WwProcess.Run(JobTimeout, env, run);
        await stop.CancelAsync();
        await reader;
        Assert.True(second.ExitCode == 0, $"second run: exit {second.ExitCode}\n{WwProcess.Tail(second.Stderr)}");
        var @new = await ReadAllAsync(store);

        Assert.Empty(failures);
        foreach (var report in Reports)
        {
            Assert.NotEqual(old[report], @new[report]);
            var strays = reads[report].Where(h => h != old[report] && h != @new[report]).ToList();
            Assert.True(strays.Count == 0, $"{report}: {strays.Count} of {reads[report].Count} reads were neither the old nor the new content");
        }
        TestContext.Current.SendDiagnosticMessage($"{spec[..Math.Min(spec.Length, 5)]}...: " + string.Join(", ", Reports.Select(r =>
            $"{r} read {reads[r].Count} times ({reads[r].Count(h => h == old[r])} old, {reads[r].Count(h => h == @new[r])} new)")));
    }

    private static async Task<Dictionary<string, string>> ReadAllAsync(IModelStore store)
    {
        var hashes = new Dictionary<string, string>();
        foreach (var report in Reports)
        {
            hashes[report] = Hash(await BlobZoo.ReadAsync(store, "results/" + report));
        }
        return hashes;
    }

    private static string Hash(byte[] content) => Convert.ToHexString(SHA256.HashData(content));
}
