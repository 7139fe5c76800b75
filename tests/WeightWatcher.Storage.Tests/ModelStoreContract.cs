using System.Security.Cryptography;
using System.Text;
using WeightWatcher.Storage.Tests.Support;

namespace WeightWatcher.Storage.Tests;

/// <summary>
/// The behaviour every <see cref="IModelStore"/> must share: the same cases run against a local folder and an
/// Azurite container, so code written against one store works unchanged on the other.
/// </summary>
public abstract class ModelStoreContract : IDisposable
{
    private IModelStore? _store;

    /// <summary>The store under test: empty at the start of each test, created on first use (so blob tests can skip).</summary>
    protected IModelStore Store => _store ??= CreateEmptyStore();

    protected static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>A new, empty store.</summary>
    protected abstract IModelStore CreateEmptyStore();

    public virtual void Dispose()
    {
        _store?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task List_is_recursive_sorted_ordinally_and_filtered_by_a_plain_prefix()
    {
        foreach (var path in new[] { "b.bin", "a/z.bin", "a/b/c.bin", "a/b.onnx", "a-x", "ab/c", "A/upper" })
        {
            await Store.WriteAsync(path, Encoding.UTF8.GetBytes(path), Cancellation);
        }

        var all = await Store.ListAllAsync();
        // Ordinal: 'A' < 'a', and '-' (0x2D) < '/' (0x2F) < 'b'.
        Assert.Equal(["A/upper", "a-x", "a/b.onnx", "a/b/c.bin", "a/z.bin", "ab/c", "b.bin"], all.Select(o => o.Path));
        Assert.All(all, o => Assert.Equal(o.Path.Length, o.Length));
        Assert.All(all, o => Assert.False(string.IsNullOrEmpty(o.Version)));

        Assert.Equal(["a/b.onnx", "a/b/c.bin"], (await Store.ListAllAsync("a/b")).Select(o => o.Path));
        Assert.Equal(["a/b.onnx", "a/b/c.bin", "a/z.bin"], (await Store.ListAllAsync("a/")).Select(o => o.Path));
        Assert.Equal(["a-x", "a/b.onnx", "a/b/c.bin", "a/z.bin", "ab/c"], (await Store.ListAllAsync("a")).Select(o => o.Path));
        Assert.Empty(await Store.ListAllAsync("zzz"));
        Assert.Empty(await Store.ListAllAsync("a/missing/"));
    }

    [Fact]
    public async Task Get_returns_null_for_a_missing_object_and_length_and_version_for_a_present_one()
    {
        Assert.Null(await Store.GetAsync("missing.bin", Cancellation));
        Assert.Null(await Store.GetAsync("no/such/folder/x", Cancellation));

        await Store.WriteAsync("m/x.bin", new byte[10], Cancellation);
        var first = await Store.GetAsync("m/x.bin", Cancellation);
        Assert.Equal(new StoredObject("m/x.bin", 10, first!.Version), first);
        // A prefix of a path is not an object.
        Assert.Null(await Store.GetAsync("m", Cancellation));

        await Store.WriteAsync("m/x.bin", new byte[11], Cancellation);
        var second = await Store.GetAsync("m/x.bin", Cancellation);
        Assert.Equal(11, second!.Length);
        Assert.NotEqual(first.Version, second.Version);
        Assert.Equal(second, Assert.Single(await Store.ListAllAsync("m/")));
    }

    [Fact]
    public async Task ReadRange_reads_the_start_the_middle_and_stops_at_the_end()
    {
        var content = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        await Store.WriteAsync("r.bin", content, Cancellation);
        var buffer = new byte[10];

        Assert.Equal(10, await Store.ReadRangeAsync("r.bin", 0, buffer, Cancellation));
        Assert.Equal(content[..10], buffer);
        Assert.Equal(10, await Store.ReadRangeAsync("r.bin", 45, buffer, Cancellation));
        Assert.Equal(content[45..55], buffer);
        Assert.Equal(5, await Store.ReadRangeAsync("r.bin", 95, buffer, Cancellation));
        Assert.Equal(content[95..], buffer[..5]);
        Assert.Equal(0, await Store.ReadRangeAsync("r.bin", 100, buffer, Cancellation));
        Assert.Equal(0, await Store.ReadRangeAsync("r.bin", 1000, buffer, Cancellation));
        Assert.Equal(0, await Store.ReadRangeAsync("r.bin", 5, Memory<byte>.Empty, Cancellation));

        var whole = new byte[200];
        Assert.Equal(100, await Store.ReadRangeAsync("r.bin", 0, whole, Cancellation));
        Assert.Equal(content, whole[..100]);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ReadRangeAsync("r.bin", -1, buffer, Cancellation));
        var missing = await Assert.ThrowsAsync<StoreException>(() => Store.ReadRangeAsync("missing.bin", 0, buffer, Cancellation));
        Assert.Equal("missing.bin", missing.StorePath);
        Assert.Contains("no such object", missing.Message);
        await Assert.ThrowsAsync<StoreException>(() => Store.ReadRangeAsync("missing.bin", 0, Memory<byte>.Empty, Cancellation));
    }

    [Fact]
    public async Task Write_creates_replaces_and_reads_back_including_empty_content()
    {
        var big = TestData.Bytes(300_000);
        await Store.WriteAsync("deep/er/w.bin", big, Cancellation);
        Assert.Equal(big, await Store.ReadAllAsync("deep/er/w.bin"));

        var small = TestData.Bytes(7, seed: 2);
        await Store.WriteAsync("deep/er/w.bin", small, Cancellation);
        Assert.Equal(small, await Store.ReadAllAsync("deep/er/w.bin"));
        Assert.Equal(7, (await Store.GetAsync("deep/er/w.bin", Cancellation))!.Length);

        await Store.WriteAsync("empty", ReadOnlyMemory<byte>.Empty, Cancellation);
        Assert.Equal(0, (await Store.GetAsync("empty", Cancellation))!.Length);
        Assert.Empty(await Store.ReadAllAsync("empty"));
        Assert.Equal(0, await Store.ReadRangeAsync("empty", 0, new byte[4], Cancellation));
        Assert.Equal(["deep/er/w.bin", "empty"], (await Store.ListAllAsync()).Select(o => o.Path));
    }

    [Fact]
    public async Task Delete_removes_the_object_and_reports_whether_there_was_one()
    {
        await Store.WriteAsync("d/1", new byte[3], Cancellation);
        await Store.WriteAsync("d/2", new byte[3], Cancellation);

        Assert.True(await Store.DeleteAsync("d/1", Cancellation));
        Assert.False(await Store.DeleteAsync("d/1", Cancellation));
        Assert.False(await Store.DeleteAsync("never/was", Cancellation));
        Assert.Null(await Store.GetAsync("d/1", Cancellation));
        Assert.Equal(["d/2"], (await Store.ListAllAsync()).Select(o => o.Path));
    }

    [Fact]
    public async Task OpenRead_gives_a_seekable_stream_and_refuses_a_missing_object()
    {
        var content = TestData.Bytes(5000);
        await Store.WriteAsync("o.bin", content, Cancellation);

        await using (var stream = await Store.OpenReadAsync("o.bin", Cancellation))
        {
            Assert.True(stream.CanSeek);
            Assert.Equal(5000, stream.Length);
            stream.Seek(4990, SeekOrigin.Begin);
            var tail = new byte[10];
            await stream.ReadExactlyAsync(tail, Cancellation);
            Assert.Equal(content[4990..], tail);
        }
        var error = await Assert.ThrowsAsync<StoreException>(() => Store.OpenReadAsync("missing.bin", Cancellation));
        Assert.Equal("missing.bin", error.StorePath);
        Assert.StartsWith(Store.Description + ": missing.bin: ", error.Message);
    }

    [Theory]
    [InlineData("../escape.bin")]
    [InlineData("a/../../escape.bin")]
    [InlineData("a/./b")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("a\\..\\..\\b")]
    [InlineData("a\0b")]
    [InlineData("C:/x")]
    [InlineData("dir/")]
    [InlineData("")]
    public async Task Paths_that_could_leave_the_store_are_refused_before_any_io(string path)
    {
        await Assert.ThrowsAsync<StoreException>(() => Store.WriteAsync(path, new byte[1], Cancellation));
        await Assert.ThrowsAsync<StoreException>(() => Store.GetAsync(path, Cancellation));
        await Assert.ThrowsAsync<StoreException>(() => Store.ReadRangeAsync(path, 0, new byte[1], Cancellation));
        await Assert.ThrowsAsync<StoreException>(() => Store.OpenReadAsync(path, Cancellation));
        await Assert.ThrowsAsync<StoreException>(() => Store.DeleteAsync(path, Cancellation));
        Assert.Empty(await Store.ListAllAsync());
    }

    [Theory]
    [InlineData("../")]
    [InlineData("a/../")]
    [InlineData("/abs")]
    [InlineData("a\0")]
    public async Task List_refuses_prefixes_that_could_leave_the_store(string prefix)
    {
        await Assert.ThrowsAsync<StoreException>(() => Store.ListAllAsync(prefix));
    }

    [Fact]
    public async Task ContentHasher_gives_the_sha256_of_the_bytes_in_lowercase_hex()
    {
        // Larger than the hasher's 1 MiB buffer, so the streaming loop runs more than once.
        var content = TestData.Bytes(2_500_000);
        await Store.WriteAsync("h/model.bin", content, Cancellation);
        await Store.WriteAsync("h/empty", ReadOnlyMemory<byte>.Empty, Cancellation);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), await ContentHasher.Sha256Async(Store, "h/model.bin", Cancellation));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", await ContentHasher.Sha256Async(Store, "h/empty", Cancellation));
        await Assert.ThrowsAsync<StoreException>(() => ContentHasher.Sha256Async(Store, "h/missing", Cancellation));
    }

    [Fact]
    public async Task HashIndex_reuses_saved_hashes_and_recomputes_only_changed_objects()
    {
        const string index = ".ww/hash-index.json";
        for (var i = 0; i < 3; i++)
        {
            await Store.WriteAsync($"models/m{i}.bin", TestData.Bytes(1000 + i, seed: i), Cancellation);
        }
        var objects = await Store.ListAllAsync("models/");

        var first = await HashIndex.LoadAsync(Store, index, Cancellation);
        var hashes = new List<string>();
        foreach (var obj in objects)
        {
            hashes.Add(await first.HashAsync(Store, obj, Cancellation));
        }
        Assert.Equal(3, first.Computed);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(TestData.Bytes(1000, seed: 0))), hashes[0]);
        await first.SaveAsync(Cancellation);
        Assert.NotNull(await Store.GetAsync(index, Cancellation));

        var second = await HashIndex.LoadAsync(Store, index, Cancellation);
        foreach (var (obj, hash) in objects.Zip(hashes))
        {
            Assert.Equal(hash, await second.HashAsync(Store, obj, Cancellation));
        }
        Assert.Equal(0, second.Computed);

        var changed = TestData.Bytes(1001, seed: 42);
        await Store.WriteAsync("models/m1.bin", changed, Cancellation);
        var third = await HashIndex.LoadAsync(Store, index, Cancellation);
        var relisted = await Store.ListAllAsync("models/");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(changed)), await third.HashAsync(Store, relisted[1], Cancellation));
        Assert.Equal(hashes[0], await third.HashAsync(Store, relisted[0], Cancellation));
        Assert.Equal(hashes[2], await third.HashAsync(Store, relisted[2], Cancellation));
        Assert.Equal(1, third.Computed);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{\"format\": 99, \"entries\": {}}")]
    [InlineData("{\"format\": 1, \"entries\": {\"models/a.bin\": {\"version\": \"v\", \"sha256\": \"not-a-hash\"}}}")]
    [InlineData("")]
    public async Task HashIndex_treats_a_corrupt_file_as_empty(string json)
    {
        await Store.WriteAsync("index.json", Encoding.UTF8.GetBytes(json), Cancellation);
        await Store.WriteAsync("models/a.bin", new byte[] { 1, 2, 3 }, Cancellation);
        var obj = (await Store.GetAsync("models/a.bin", Cancellation))!;

        var index = await HashIndex.LoadAsync(Store, "index.json", Cancellation);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3 })), await index.HashAsync(Store, obj, Cancellation));
        Assert.Equal(1, index.Computed);

        // Saving repairs the file.
        await index.SaveAsync(Cancellation);
        var reloaded = await HashIndex.LoadAsync(Store, "index.json", Cancellation);
        await reloaded.HashAsync(Store, obj, Cancellation);
        Assert.Equal(0, reloaded.Computed);
    }

    [Fact]
    public async Task HashIndex_computes_a_hash_once_for_concurrent_callers()
    {
        await Store.WriteAsync("c.bin", TestData.Bytes(2_000_000), Cancellation);
        var obj = (await Store.GetAsync("c.bin", Cancellation))!;
        var index = await HashIndex.LoadAsync(Store, "index.json", Cancellation);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => index.HashAsync(Store, obj, Cancellation), Cancellation)));

        Assert.Single(results.Distinct());
        Assert.Equal(1, index.Computed);
    }
}
