using Azure.Storage.Blobs;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>A zoo in an Azurite container, and its results read back, for the blob job tests.</summary>
public static class BlobZoo
{
    /// <summary>Uploads every file under <paramref name="folder"/> to <paramref name="prefix"/> of <paramref name="store"/>.</summary>
    public static async Task UploadAsync(IModelStore store, string folder, string prefix)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            string path = prefix + Path.GetRelativePath(folder, file).Replace('\\', '/');
            await store.WriteAsync(path, await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The whole object, in one read through the store (as <c>ww report</c> reads it).</summary>
    public static async Task<byte[]> ReadAsync(IModelStore store, string path, CancellationToken cancellation = default)
    {
        await using var stream = await store.OpenReadAsync(path, cancellation);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellation);
        return buffer.ToArray();
    }

    /// <summary>Layer results stored under <paramref name="resultsPrefix"/> (cache entries), counted with a listing.</summary>
    public static async Task<int> StoredLayersAsync(BlobContainerClient container, string resultsPrefix)
    {
        int count = 0;
        await foreach (var blob in container.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = resultsPrefix + "cache/" }))
        {
            if (blob.Name.EndsWith(".json", StringComparison.Ordinal))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>The environment that gives <c>ww</c> the emulator's connection string for <c>az://</c> stores.</summary>
    public static Dictionary<string, string> Environment(AzuriteFixture azurite, Dictionary<string, string>? more = null)
    {
        var env = new Dictionary<string, string>(more ?? []) { [StoreFactory.ConnectionStringVariable] = azurite.ConnectionString };
        return env;
    }
}
