using WeightWatcher.Storage.Tests.Support;

namespace WeightWatcher.Storage.Tests;

/// <summary>Staging of blob-held models into a node-local cache, against Azurite; a local store is used in place.</summary>
public sealed class ModelStagingTests(AzuriteFixture azurite) : IDisposable
{
    private readonly TempDir _temp = new();
    private IModelStore? _blobs;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private string Cache => _temp.File("cache");

    /// <summary>A fresh container holding a folder model and a single-file model.</summary>
    private IModelStore Blobs => _blobs ??= new AzureBlobStore(azurite.CreateContainerClient(TestData.UniqueContainerName("staging")), createIfMissing: true);

    public void Dispose()
    {
        _blobs?.Dispose();
        _temp.Dispose();
    }

    private async Task<IReadOnlyList<StoredObject>> PutFolderModelAsync(IModelStore store)
    {
        await store.WriteAsync("zoo/bert/config.json", "{}"u8.ToArray(), Cancellation);
        await store.WriteAsync("zoo/bert/weights/0.bin", TestData.Bytes(1500, seed: 1), Cancellation);
        await store.WriteAsync("zoo/bert/weights/1.bin", TestData.Bytes(700, seed: 2), Cancellation);
        await store.WriteAsync("zoo/bert-large/other.bin", TestData.Bytes(10), Cancellation);
        return await store.ListAllAsync("zoo/bert/");
    }

    [Fact]
    public async Task A_local_store_is_used_in_place_without_copying()
    {
        using var local = new LocalFolderStore(_temp.File("local"), createIfMissing: true);
        var files = await PutFolderModelAsync(local);
        await local.WriteAsync("zoo/resnet.onnx", TestData.Bytes(100), Cancellation);
        var staging = new ModelStaging(Cache, 1 << 20);

        Assert.Equal(Path.Combine(local.LocalRoot!, "zoo", "bert"), await staging.StageAsync(local, "zoo/bert/", files, Cancellation));
        var single = await local.ListAllAsync("zoo/resnet.onnx");
        Assert.Equal(Path.Combine(local.LocalRoot!, "zoo", "resnet.onnx"), await staging.StageAsync(local, "zoo/resnet.onnx", single, Cancellation));
        Assert.Equal(0, staging.FilesDownloaded);
        Assert.False(Directory.Exists(Cache));
    }

    [Fact]
    public async Task A_folder_model_is_downloaded_whole_and_reused_on_the_second_call()
    {
        var files = await PutFolderModelAsync(Blobs);
        var staging = new ModelStaging(Cache, 1 << 20);

        var folder = await staging.StageAsync(Blobs, "zoo/bert/", files, Cancellation);

        Assert.StartsWith(Cache + Path.DirectorySeparatorChar, folder);
        Assert.Equal("{}", await File.ReadAllTextAsync(Path.Combine(folder, "config.json"), Cancellation));
        Assert.Equal(TestData.Bytes(1500, seed: 1), await File.ReadAllBytesAsync(Path.Combine(folder, "weights", "0.bin"), Cancellation));
        Assert.Equal(TestData.Bytes(700, seed: 2), await File.ReadAllBytesAsync(Path.Combine(folder, "weights", "1.bin"), Cancellation));
        Assert.Equal(3, Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Length);
        Assert.Equal(3, staging.FilesDownloaded);
        // Only the finished model folder remains: no partial download folder.
        Assert.Equal([folder], Directory.GetDirectories(Cache));

        Assert.Equal(folder, await staging.StageAsync(Blobs, "zoo/bert/", files, Cancellation));
        Assert.Equal(3, staging.FilesDownloaded);
        // A restarted node (a new instance on the same cache) reuses the complete copy too.
        var restarted = new ModelStaging(Cache, 1 << 20);
        Assert.Equal(folder, await restarted.StageAsync(Blobs, "zoo/bert/", files, Cancellation));
        Assert.Equal(0, restarted.FilesDownloaded);
    }

    [Fact]
    public async Task A_single_file_model_is_downloaded_to_a_file_of_the_same_name()
    {
        await Blobs.WriteAsync("zoo/resnet.onnx", TestData.Bytes(1234), Cancellation);
        var files = await Blobs.ListAllAsync("zoo/resnet.onnx");
        var staging = new ModelStaging(Cache, 1 << 20);

        var file = await staging.StageAsync(Blobs, "zoo/resnet.onnx", files, Cancellation);

        Assert.Equal("resnet.onnx", Path.GetFileName(file));
        Assert.Equal(TestData.Bytes(1234), await File.ReadAllBytesAsync(file, Cancellation));
        Assert.Equal(file, await staging.StageAsync(Blobs, "zoo/resnet.onnx", files, Cancellation));
        Assert.Equal(1, staging.FilesDownloaded);
    }

    [Fact]
    public async Task A_changed_file_gives_a_new_copy_of_the_new_version()
    {
        var files = await PutFolderModelAsync(Blobs);
        var staging = new ModelStaging(Cache, 1 << 20);
        var first = await staging.StageAsync(Blobs, "zoo/bert/", files, Cancellation);

        await Blobs.WriteAsync("zoo/bert/weights/1.bin", TestData.Bytes(700, seed: 3), Cancellation);
        var changed = await Blobs.ListAllAsync("zoo/bert/");
        var second = await staging.StageAsync(Blobs, "zoo/bert/", changed, Cancellation);

        Assert.NotEqual(first, second);
        Assert.Equal(TestData.Bytes(700, seed: 3), await File.ReadAllBytesAsync(Path.Combine(second, "weights", "1.bin"), Cancellation));
        Assert.Equal(6, staging.FilesDownloaded);
    }

    [Fact]
    public async Task A_file_replaced_after_listing_fails_the_staging_and_leaves_nothing_behind()
    {
        var files = await PutFolderModelAsync(Blobs);
        await Blobs.WriteAsync("zoo/bert/weights/0.bin", TestData.Bytes(1500, seed: 9), Cancellation);
        var staging = new ModelStaging(Cache, 1 << 20);

        var error = await Assert.ThrowsAsync<StoreException>(() => staging.StageAsync(Blobs, "zoo/bert/", files, Cancellation));

        Assert.Equal("zoo/bert/weights/0.bin", error.StorePath);
        Assert.Contains("changed while being staged", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Cache));
    }

    [Fact]
    public async Task Least_recently_used_models_are_evicted_beyond_the_budget()
    {
        var staging = new ModelStaging(Cache, 2500);
        var paths = new Dictionary<string, string>();
        async Task<string> StageAsync(string name)
        {
            var files = await Blobs.ListAllAsync($"zoo/{name}.bin");
            return paths[name] = await staging.StageAsync(Blobs, $"zoo/{name}.bin", files, Cancellation);
        }
        foreach (var name in new[] { "a", "b", "c" })
        {
            await Blobs.WriteAsync($"zoo/{name}.bin", TestData.Bytes(1000), Cancellation);
        }

        await StageAsync("a");
        await StageAsync("b");
        await StageAsync("a"); // used again: now b is the least recently used
        await StageAsync("c"); // 3000 bytes > 2500: b goes

        Assert.True(File.Exists(paths["a"]));
        Assert.False(File.Exists(paths["b"]));
        Assert.True(File.Exists(paths["c"]));
        Assert.Equal(3, staging.FilesDownloaded);

        // A model larger than the whole budget is still staged; everything else is evicted to make room.
        await Blobs.WriteAsync("zoo/huge.bin", TestData.Bytes(3000), Cancellation);
        await StageAsync("huge");
        Assert.True(File.Exists(paths["huge"]));
        Assert.Single(Directory.GetDirectories(Cache));
    }

    [Fact]
    public async Task Concurrent_calls_for_one_model_share_one_download()
    {
        var files = await PutFolderModelAsync(Blobs);
        var staging = new ModelStaging(Cache, 1 << 20);

        var results = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(_ => Task.Run(() => staging.StageAsync(Blobs, "zoo/bert/", files, Cancellation), Cancellation)));

        Assert.Single(results.Distinct());
        Assert.Equal(3, staging.FilesDownloaded);
    }

    [Fact]
    public async Task Files_outside_the_model_or_outside_the_cache_are_refused()
    {
        var staging = new ModelStaging(Cache, 1 << 20);
        azurite.EnsureRunning();

        await Assert.ThrowsAsync<ArgumentException>(() => staging.StageAsync(Blobs, "zoo/bert/", [new StoredObject("zoo/other/x.bin", 1, "v")], Cancellation));
        await Assert.ThrowsAsync<ArgumentException>(() => staging.StageAsync(Blobs, "zoo/a.bin", [new StoredObject("zoo/b.bin", 1, "v")], Cancellation));
        await Assert.ThrowsAsync<ArgumentException>(() => staging.StageAsync(Blobs, "zoo/bert/", [], Cancellation));
        // A blob name that would climb out of the cache folder once it is a local path.
        await Assert.ThrowsAsync<StoreException>(() => staging.StageAsync(Blobs, "zoo/bert/", [new StoredObject("zoo/bert/../../../evil.sh", 1, "v")], Cancellation));
        Assert.False(Directory.Exists(Cache));
        Assert.Equal(0, staging.FilesDownloaded);
    }
}
