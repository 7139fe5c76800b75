using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Tests.Support;
using WeightWatcher.Cluster.Workers;
using WeightWatcher.Core.Formats;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// Blob safetensors models are read by range: planning fetches only the headers, a layer task only its
/// tensor's bytes on top, and the reader sees exactly the bytes of the blob (Azurite, real SDK).
/// </summary>
public sealed class SparseStagingTests : IClassFixture<AzuriteFixture>
{
    private readonly AzuriteFixture _azurite;

    public SparseStagingTests(AzuriteFixture azurite)
    {
        _azurite = azurite;
    }

    [Theory]
    [InlineData("models/", "models/../../escape.safetensors")]
    [InlineData("models/", "/tmp/escape.safetensors")]
    [InlineData("../escape.safetensors", "../escape.safetensors")]
    public async Task A_blob_name_that_could_leave_the_staging_folder_is_refused_before_any_file_is_written(string root, string name)
    {
        using var local = new TempDir();
        string stagingFolder = local.File("staging");
        using var blob = new AzureBlobStore(_azurite.CreateContainerClient("unused"));
        using var staging = new SparseModelStaging(stagingFolder);
        var file = new StoredObject(name, 1024, "etag");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => staging.StageAsync(blob, root, [file], [], TestContext.Current.CancellationToken));
        Assert.True(e is StoreException or ArgumentException, e.ToString());
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(stagingFolder), "the staging folder was created");
        Assert.Empty(Directory.EnumerateFileSystemEntries(local.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Headers_first_then_only_the_tensor_asked_for()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var container = _azurite.CreateContainerClient("sparse" + Guid.NewGuid().ToString("N")[..8]);
        await container.CreateAsync(cancellationToken: cancellation);
        using var local = new TempDir();
        TestZoo.WriteGenerated(local.Path);
        string original = Path.Combine(local.Path, "mlp-c.safetensors");
        using var blob = new AzureBlobStore(container);
        await blob.WriteAsync("models/mlp-c.safetensors", await File.ReadAllBytesAsync(original, cancellation), cancellation);
        var file = (await blob.GetAsync("models/mlp-c.safetensors", cancellation))!;
        Assert.True(SparseModelStaging.Applies([file]));

        using var staging = new SparseModelStaging(local.File("staging"));
        string path = await staging.StageAsync(blob, file.Path, [file], [], cancellation);
        long headers = staging.BytesFetched;
        Assert.True(headers < file.Length / 50, $"planning fetched {headers} of {file.Length} bytes");
        Assert.Equal(file.Length, new FileInfo(path).Length);

        using var direct = ModelOpener.Open(original);
        using (var sparse = ModelOpener.Open(path))
        {
            Assert.Equal(direct.Tensors.Select(t => (t.Name, t.Offset, t.ByteLength)), sparse.Tensors.Select(t => (t.Name, t.Offset, t.ByteLength)));
        }

        var tensor = direct.Tensors.Single(t => t.Name == "fc2.weight");
        string again = await staging.StageAsync(blob, file.Path, [file], [new ByteRange(file.Path, tensor.Offset, tensor.ByteLength)], cancellation);
        Assert.Equal(path, again);
        Assert.Equal(headers + tensor.ByteLength, staging.BytesFetched);
        using var staged = ModelOpener.Open(again);
        Assert.Equal(direct.ReadTensor(tensor), staged.ReadTensor(staged.Tensors.Single(t => t.Name == tensor.Name)));

        // Asking for the same range again fetches nothing more.
        await staging.StageAsync(blob, file.Path, [file], [new ByteRange(file.Path, tensor.Offset, tensor.ByteLength)], cancellation);
        Assert.Equal(headers + tensor.ByteLength, staging.BytesFetched);
    }

    [Fact]
    public void Only_safetensors_models_are_staged_sparsely()
    {
        Assert.True(SparseModelStaging.Applies([new StoredObject("m/model-00001.safetensors", 10, "v"), new StoredObject("m/model.safetensors.index.json", 10, "v")]));
        Assert.False(SparseModelStaging.Applies([new StoredObject("m/model.onnx", 10, "v")]));
        Assert.False(SparseModelStaging.Applies([]));
    }
}
