namespace WeightWatcher.Storage.Tests.Support;

/// <summary>Small helpers shared by the store tests.</summary>
public static class TestData
{
    /// <summary>
    /// A container name no other test uses (one Azurite account serves the whole run): <paramref name="purpose"/>
    /// (lowercase letters, digits, '-'; at most 30 characters, since names stop at 63) and a GUID.
    /// </summary>
    public static string UniqueContainerName(string purpose) => $"{purpose}-{Guid.NewGuid():N}";

    /// <summary>Deterministic pseudo-random content.</summary>
    public static byte[] Bytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Every object under <paramref name="prefix"/>, in listing order.</summary>
    public static async Task<List<StoredObject>> ListAllAsync(this IModelStore store, string prefix = "")
    {
        var found = new List<StoredObject>();
        await foreach (var item in store.ListAsync(prefix, TestContext.Current.CancellationToken))
        {
            found.Add(item);
        }
        return found;
    }

    /// <summary>The whole content of an object, read through <see cref="IModelStore.OpenReadAsync"/>.</summary>
    public static async Task<byte[]> ReadAllAsync(this IModelStore store, string path)
    {
        await using var stream = await store.OpenReadAsync(path, TestContext.Current.CancellationToken);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, TestContext.Current.CancellationToken);
        return copy.ToArray();
    }
}
