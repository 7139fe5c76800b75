using System.Buffers;
using System.Security.Cryptography;

namespace WeightWatcher.Storage;

/// <summary>Content hashes of stored objects, computed by streaming so a multi-gigabyte model needs only one buffer.</summary>
public static class ContentHasher
{
    private const int BufferBytes = 1 << 20;

    /// <summary>SHA-256 of the object's content as lowercase hex.</summary>
    /// <exception cref="StoreException">The object does not exist or cannot be read.</exception>
    public static async Task<string> Sha256Async(IModelStore store, string path, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            await using var stream = await store.OpenReadAsync(path, cancellation).ConfigureAwait(false);
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, BufferBytes), cancellation).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is IOException or Azure.RequestFailedException)
        {
            // The open succeeded but a later read failed (connection lost, blob replaced under the pinned ETag).
            var reason = e is Azure.RequestFailedException r ? $"HTTP {r.Status} {r.ErrorCode}" : e.Message;
            throw new StoreException(store.Description, path, "cannot be read: " + reason, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
