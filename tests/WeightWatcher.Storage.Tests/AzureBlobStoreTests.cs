using Azure.Storage.Blobs;
using WeightWatcher.Storage.Tests.Support;

namespace WeightWatcher.Storage.Tests;

/// <summary>The store contract on an Azurite container, plus what only a container has.</summary>
public sealed class AzureBlobStoreTests(AzuriteFixture azurite) : ModelStoreContract
{
    protected override IModelStore CreateEmptyStore() =>
        new AzureBlobStore(azurite.CreateContainerClient(TestData.UniqueContainerName("contract")), createIfMissing: true);

    [Fact]
    public void LocalRoot_is_null_and_Description_is_the_container_uri()
    {
        Assert.Null(Store.LocalRoot);
        Assert.StartsWith($"http://127.0.0.1:{azurite.Port}/{AzuriteFixture.AccountName}/contract-", Store.Description);
        Assert.DoesNotContain(AzuriteFixture.AccountKey, Store.Description);
    }

    [Fact]
    public async Task A_missing_container_is_an_error_not_an_empty_store()
    {
        using var store = new AzureBlobStore(azurite.CreateContainerClient(TestData.UniqueContainerName("absent")));

        var listing = await Assert.ThrowsAsync<StoreException>(() => store.ListAllAsync());
        Assert.Contains("the container does not exist", listing.Message);
        var get = await Assert.ThrowsAsync<StoreException>(() => store.GetAsync("x.bin", Cancellation));
        Assert.Contains("the container does not exist", get.Message);
    }

    [Fact]
    public async Task Version_is_the_blob_etag()
    {
        await Store.WriteAsync("e.bin", new byte[3], Cancellation);
        var container = azurite.CreateContainerClient(new Uri(Store.Description).Segments[^1]);
        var properties = await container.GetBlobClient("e.bin").GetPropertiesAsync(cancellationToken: Cancellation);

        Assert.Equal(properties.Value.ETag.ToString().Trim('"'), (await Store.GetAsync("e.bin", Cancellation))!.Version);
    }

    [Fact]
    public async Task Blobs_written_by_other_clients_are_listed_and_read()
    {
        var name = TestData.UniqueContainerName("foreign");
        var container = azurite.CreateContainerClient(name);
        await container.CreateAsync(cancellationToken: Cancellation);
        await container.GetBlobClient("zoo/model.onnx").UploadAsync(BinaryData.FromBytes(TestData.Bytes(100)), Cancellation);
        using var store = new AzureBlobStore(container);

        var listed = Assert.Single(await store.ListAllAsync("zoo/"));
        Assert.Equal(("zoo/model.onnx", 100L), (listed.Path, listed.Length));
        Assert.Equal(TestData.Bytes(100), await store.ReadAllAsync("zoo/model.onnx"));
    }
}
