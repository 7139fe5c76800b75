using System.Text;
using System.Text.Json;
using WeightWatcher.Cluster.Coordination;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Cluster.Tests.Support;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// The zoo job against Azure Blob Storage through the real SDK and Azurite (started by the fixture on a
/// free loopback port): the zoo is uploaded, <c>ww zoo run --store az://...</c> runs with the connection
/// string in its environment only, and the results are read back from the container.
/// </summary>
public sealed class BlobZooJobTests : IClassFixture<AzuriteFixture>
{
    private readonly AzuriteFixture _azurite;

    public BlobZooJobTests(AzuriteFixture azurite)
    {
        _azurite = azurite;
    }

    [Fact]
    public async Task Zoo_in_blob_storage_gives_the_same_reports_as_the_same_zoo_in_a_folder()
    {
        var container = _azurite.CreateContainerClient("zoo" + Guid.NewGuid().ToString("N")[..8]);
        await container.CreateAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var local = new TempDir();
        TestZoo.Write(local.Path, withBadInput: false);
        using var blob = new AzureBlobStore(container);
        string models = Path.Combine(local.Path, "models");
        foreach (var file in Directory.EnumerateFiles(models, "*", SearchOption.AllDirectories))
        {
            string path = "models/" + Path.GetRelativePath(models, file).Replace('\\', '/');
            await blob.WriteAsync(path, await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        }

        var env = new Dictionary<string, string> { [StoreFactory.ConnectionStringVariable] = _azurite.ConnectionString };
        var run = WwProcess.Run(TimeSpan.FromMinutes(4), env, "zoo", "run", "--store", "az://" + container.Name, "--models", "models/", "--results", "nightly/");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Stdout}\n{WwProcess.Tail(run.Stderr)}");
        Assert.DoesNotContain(AzuriteFixture.AccountKey, run.Stdout + run.Stderr, StringComparison.Ordinal);

        var manifest = JsonSerializer.Deserialize<JobManifest>(await ReadAsync(blob, "nightly/manifest.json"), ZooReporting.ManifestJson)!;
        Assert.Equal(TestZoo.GoodModels.Count, manifest.Models.Count);
        Assert.Empty(manifest.Failures);
        Assert.DoesNotContain(AzuriteFixture.AccountKey, manifest.Store, StringComparison.Ordinal);
        Assert.All(manifest.Models.SelectMany(m => m.Files), f => Assert.StartsWith("models/", f.Path, StringComparison.Ordinal));
        string blobLayers = Encoding.UTF8.GetString(await ReadAsync(blob, "nightly/layers.csv"));
        string blobModels = Encoding.UTF8.GetString(await ReadAsync(blob, "nightly/models.csv"));

        var folderRun = WwProcess.Run(TimeSpan.FromMinutes(4), null, "zoo", "run", "--store", local.Path, "--models", "models/", "--results", "nightly/");
        Assert.True(folderRun.ExitCode == 0, $"folder run: exit {folderRun.ExitCode}\n{WwProcess.Tail(folderRun.Stderr)}");
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(local.Path, "nightly", "layers.csv"), TestContext.Current.CancellationToken), blobLayers);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(local.Path, "nightly", "models.csv"), TestContext.Current.CancellationToken), blobModels);

        // Nightly again over the unchanged container: nothing is analyzed, nothing re-hashed.
        var again = WwProcess.Run(TimeSpan.FromMinutes(4), env, "zoo", "run", "--store", "az://" + container.Name, "--models", "models/", "--results", "nightly/");
        Assert.True(again.ExitCode == 0, $"second run: exit {again.ExitCode}\n{WwProcess.Tail(again.Stderr)}");
        var second = JsonSerializer.Deserialize<JobManifest>(await ReadAsync(blob, "nightly/manifest.json"), ZooReporting.ManifestJson)!;
        Assert.Equal(0, second.Counts.LayersAnalyzed);
        Assert.Equal(0, second.Counts.HashesComputed);
        Assert.Equal(manifest.Counts.Layers, second.Counts.LayersCached);
    }

    private static async Task<byte[]> ReadAsync(IModelStore store, string path)
    {
        await using var stream = await store.OpenReadAsync(path, TestContext.Current.CancellationToken);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, TestContext.Current.CancellationToken);
        return buffer.ToArray();
    }
}
