using WeightWatcher.Storage.Tests.Support;

namespace WeightWatcher.Storage.Tests;

/// <summary>The store contract on a local folder, plus what only a folder has.</summary>
public sealed class LocalFolderStoreTests : ModelStoreContract
{
    private readonly TempDir _temp = new();

    protected override IModelStore CreateEmptyStore() => new LocalFolderStore(_temp.File("store"), createIfMissing: true);

    public override void Dispose()
    {
        base.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void LocalRoot_and_Description_are_the_absolute_folder()
    {
        Assert.Equal(_temp.File("store"), Store.LocalRoot);
        Assert.Equal(Store.LocalRoot, Store.Description);
        Assert.True(Path.IsPathFullyQualified(Store.LocalRoot!));
    }

    [Fact]
    public void A_missing_folder_is_refused_unless_it_may_be_created()
    {
        var missing = _temp.File("not", "here");
        var error = Assert.Throws<StoreException>(() => new LocalFolderStore(missing));
        Assert.Contains("does not exist", error.Message);
        Assert.False(Directory.Exists(missing));

        using var created = new LocalFolderStore(missing, createIfMissing: true);
        Assert.True(Directory.Exists(missing));
    }

    [Fact]
    public async Task A_symbolic_link_has_its_targets_length_and_a_new_version_when_the_target_changes()
    {
        // Hugging Face caches and Kubernetes volumes are made of links: the link's own size and time say nothing.
        string target = _temp.File("blob.bin");
        await File.WriteAllBytesAsync(target, new byte[1000], Cancellation);
        Directory.CreateDirectory(Store.LocalRoot!);
        File.CreateSymbolicLink(Path.Combine(Store.LocalRoot!, "model.bin"), target);
        var before = await Store.GetAsync("model.bin", Cancellation);
        Assert.Equal(1000, before!.Length);
        var listed = new List<StoredObject>();
        await foreach (var obj in Store.ListAsync("", Cancellation))
        {
            listed.Add(obj);
        }
        Assert.Equal(1000, Assert.Single(listed).Length);

        await File.WriteAllBytesAsync(target, new byte[1001], Cancellation);
        var after = await Store.GetAsync("model.bin", Cancellation);
        Assert.Equal(1001, after!.Length);
        Assert.NotEqual(before.Version, after.Version);
    }

    [Fact]
    public async Task Writes_land_in_files_below_the_root_and_nowhere_else()
    {
        await Store.WriteAsync("a/b/c.bin", new byte[] { 7 }, Cancellation);
        Assert.Equal(new byte[] { 7 }, await File.ReadAllBytesAsync(Path.Combine(Store.LocalRoot!, "a", "b", "c.bin"), Cancellation));

        await Assert.ThrowsAsync<StoreException>(() => Store.WriteAsync("../outside.bin", new byte[1], Cancellation));
        Assert.False(File.Exists(_temp.File("outside.bin")));
        // Nothing but the one file: no temporary files are left behind.
        Assert.Single(Directory.GetFiles(Store.LocalRoot!, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Listings_skip_temporary_files_and_include_hidden_ones()
    {
        await Store.WriteAsync("m/real.bin", new byte[1], Cancellation);
        await File.WriteAllBytesAsync(Path.Combine(Store.LocalRoot!, "m", "real.bin.0123abcd" + LocalFolderStore.TempSuffix), new byte[1], Cancellation);
        await File.WriteAllBytesAsync(Path.Combine(Store.LocalRoot!, "m", ".hidden"), new byte[1], Cancellation);

        Assert.Equal(["m/.hidden", "m/real.bin"], (await Store.ListAllAsync()).Select(o => o.Path));
        await Assert.ThrowsAsync<StoreException>(() => Store.WriteAsync("m/x" + LocalFolderStore.TempSuffix, new byte[1], Cancellation));
    }

    [Fact]
    public async Task Abandoned_temporary_files_are_deleted_by_their_target_s_cutoff_and_nothing_else()
    {
        var store = (LocalFolderStore)Store;
        string Temp(string target) => Path.Combine(store.LocalRoot!, target.Replace('/', Path.DirectorySeparatorChar) + "." + Guid.NewGuid().ToString("N") + LocalFolderStore.TempSuffix);
        await Store.WriteAsync("r/layers.csv", new byte[1], Cancellation);
        Directory.CreateDirectory(Path.Combine(store.LocalRoot!, "r", "cache", "ab"));
        string report = Temp("r/layers.csv"), fresh = Temp("r/cache/ab/k1.json"), stale = Temp("r/cache/ab/k2.json"), outside = Temp("other.bin");
        foreach (var file in new[] { report, fresh, stale, outside })
        {
            await File.WriteAllBytesAsync(file, new byte[1], Cancellation);
        }
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddMinutes(-5));
        var now = DateTime.UtcNow.AddSeconds(1);
        var targets = new List<string>();

        int deleted = store.DeleteAbandonedWrites("r/", target =>
        {
            targets.Add(target);
            return target.StartsWith("r/cache/", StringComparison.Ordinal) ? now.AddMinutes(-1) : now;
        });

        Assert.Equal(2, deleted);
        Assert.False(File.Exists(report));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh), "a write that may still be going on is spared");
        Assert.True(File.Exists(outside), "outside the prefix");
        Assert.Equal(["r/cache/ab/k1.json", "r/cache/ab/k2.json", "r/layers.csv"], targets.Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(store.LocalRoot!, "r", "layers.csv")));
    }

    [Fact]
    public async Task Version_is_the_length_and_the_last_write_ticks()
    {
        await Store.WriteAsync("v.bin", new byte[5], Cancellation);
        var file = new FileInfo(Path.Combine(Store.LocalRoot!, "v.bin"));
        Assert.Equal($"5-{file.LastWriteTimeUtc.Ticks}", (await Store.GetAsync("v.bin", Cancellation))!.Version);

        // Same length, new write time: a new version.
        File.SetLastWriteTimeUtc(file.FullName, file.LastWriteTimeUtc.AddSeconds(-10));
        Assert.NotEqual($"5-{file.LastWriteTimeUtc.Ticks}", (await Store.GetAsync("v.bin", Cancellation))!.Version);
    }
}
