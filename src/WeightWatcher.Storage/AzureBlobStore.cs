using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace WeightWatcher.Storage;

/// <summary>A model store on an Azure blob container (or the Azurite emulator). Object paths are blob names.</summary>
public sealed partial class AzureBlobStore : IModelStore
{
    /// <summary>
    /// Service version for the clients <see cref="StoreFactory"/> builds: pinned rather than the SDK's newest so
    /// the Azurite emulator (3.37 accepts up to 2026-06-06) serves the same requests as Azure does.
    /// </summary>
    internal const BlobClientOptions.ServiceVersion PinnedServiceVersion = BlobClientOptions.ServiceVersion.V2026_06_06;

    /// <summary>Range size of <see cref="OpenReadAsync"/>: large enough that sequential reads are not request-bound.</summary>
    private const int ReadBufferBytes = 4 << 20;

    private readonly BlobContainerClient _container;

    /// <summary>Wraps a container client; its credentials (key, SAS or token) are used as they are.</summary>
    /// <param name="container">The container holding the objects.</param>
    /// <param name="createIfMissing">Create the container when it does not exist (one request now).</param>
    /// <exception cref="StoreException">The container cannot be created.</exception>
    public AzureBlobStore(BlobContainerClient container, bool createIfMissing = false)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
        Description = RedactSignature(container.Uri);
        if (createIfMissing)
        {
            try
            {
                // Asked first by listing (what a container SAS may do): creating, even a container that exists, is
                // refused (403) to a container SAS, and so is reading the container's properties.
                if (!Lists(container))
                {
                    container.CreateIfNotExists();
                }
            }
            catch (Exception e) when (IsStorageFailure(e, CancellationToken.None))
            {
                throw Failure("", "the container cannot be created", e);
            }
        }
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public string? LocalRoot => null;

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        StorePaths.ValidatePrefix(Description, prefix);
        // The service sorts by UTF-8 bytes, which differs from ordinal UTF-16 order for characters beyond
        // U+FFFF; the listing is gathered and sorted so both stores enumerate in exactly the same order.
        var found = new List<StoredObject>();
        try
        {
            var options = new GetBlobsOptions { Prefix = prefix.Length == 0 ? null : prefix };
            await foreach (var item in _container.GetBlobsAsync(options, cancellation).ConfigureAwait(false))
            {
                found.Add(new StoredObject(item.Name, item.Properties.ContentLength ?? 0, VersionOf(item.Properties.ETag)));
            }
        }
        catch (Exception e) when (IsStorageFailure(e, cancellation))
        {
            throw Failure(prefix, "cannot be listed", e);
        }
        found.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        foreach (var item in found)
        {
            cancellation.ThrowIfCancellationRequested();
            yield return item;
        }
    }

    /// <inheritdoc />
    public async Task<StoredObject?> GetAsync(string path, CancellationToken cancellation = default)
    {
        var blob = Blob(path);
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellation).ConfigureAwait(false)).Value;
            return new StoredObject(path, properties.ContentLength, VersionOf(properties.ETag));
        }
        catch (RequestFailedException e) when (e.Status == 404 && !IsContainerNotFound(e))
        {
            return null;
        }
        catch (Exception e) when (IsStorageFailure(e, cancellation))
        {
            throw Failure(path, "cannot be read", e);
        }
    }

    /// <inheritdoc />
    public async Task<int> ReadRangeAsync(string path, long offset, Memory<byte> destination, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var blob = Blob(path);
        if (destination.Length == 0)
        {
            // An empty range is not expressible as an HTTP Range header; still report a missing object as the local store does.
            return await GetAsync(path, cancellation).ConfigureAwait(false) is null
                ? throw new StoreException(Description, path, "no such object", null)
                : 0;
        }
        try
        {
            var options = new BlobDownloadOptions { Range = new HttpRange(offset, destination.Length) };
            var response = await blob.DownloadStreamingAsync(options, cancellation).ConfigureAwait(false);
            await using var content = response.Value.Content;
            var total = 0;
            while (total < destination.Length)
            {
                var read = await content.ReadAsync(destination[total..], cancellation).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                total += read;
            }
            return total;
        }
        catch (RequestFailedException e) when (e.Status == 416)
        {
            // Range not satisfiable: the offset is at or past the end (or the blob is empty).
            return 0;
        }
        catch (Exception e) when (IsStorageFailure(e, cancellation))
        {
            throw Failure(path, "cannot be read", e);
        }
    }

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string path, CancellationToken cancellation = default)
    {
        var blob = Blob(path);
        try
        {
            // allowModifications: false pins the ETag, so a blob replaced mid-read fails instead of mixing two versions.
            var options = new BlobOpenReadOptions(allowModifications: false) { BufferSize = ReadBufferBytes };
            // The stream fetches ranges as it is read: its failures are the store's too, and say so.
            var stream = await blob.OpenReadAsync(options, cancellation).ConfigureAwait(false);
            return new BlobReadStream(stream, (e, token) => IsStorageFailure(e, token) ? Failure(path, "cannot be read", e) : null);
        }
        catch (Exception e) when (IsStorageFailure(e, cancellation))
        {
            throw Failure(path, "cannot be opened", e);
        }
    }

    /// <inheritdoc />
    public async Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellation = default)
    {
        var blob = Blob(path);
        try
        {
            await blob.UploadAsync(new BinaryData(content), overwrite: true, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (IsStorageFailure(e, cancellation))
        {
            throw Failure(path, "cannot be written", e);
        }
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string path, CancellationToken cancellation = default)
    {
        var blob = Blob(path);
        try
        {
            var response = await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellation).ConfigureAwait(false);
            return response.Value;
        }
        catch (Exception e) when (IsStorageFailure(e, cancellation))
        {
            throw Failure(path, "cannot be deleted", e);
        }
    }

    /// <summary>Nothing to release: the container client holds no disposable resources of its own.</summary>
    public void Dispose()
    {
    }

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>
    /// The ETag without quotes: a listing reports it bare and a properties request quoted (from the header),
    /// and one object must have one version however it was found.
    /// </summary>
    internal static string VersionOf(ETag? etag) => etag?.ToString().Trim('"') ?? "";

    /// <summary>The URI as text with the value of any SAS signature replaced, so it can go into logs and manifests.</summary>
    internal static string RedactSignature(Uri uri) => SignatureValue().Replace(uri.AbsoluteUri, "${name}REDACTED");

    [GeneratedRegex("(?<name>[?&]sig=)[^&#]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SignatureValue();

    private BlobClient Blob(string path)
    {
        StorePaths.ValidateObjectPath(Description, path);
        return _container.GetBlobClient(path);
    }

    /// <summary>True when the container exists (its first listing page loads); false on 404.</summary>
    private static bool Lists(BlobContainerClient container)
    {
        try
        {
            _ = container.GetBlobs().AsPages(pageSizeHint: 1).First();
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>
    /// A failure of the store rather than of the caller: the SDK's errors, a try's network timeout (an
    /// OperationCanceledException while the caller's own <paramref name="cancellation"/> is not cancelled), and a
    /// token credential that found no identity or was refused (AuthenticationFailedException).
    /// </summary>
    private static bool IsStorageFailure(Exception e, CancellationToken cancellation) =>
        e is RequestFailedException or AggregateException or HttpRequestException or IOException or Azure.Identity.AuthenticationFailedException
        || (e is OperationCanceledException && !cancellation.IsCancellationRequested);

    /// <summary>
    /// True when the service did not serve the request within the retry budget: every try failed without an
    /// answer, or with a transient status (408, 429, 5xx), rather than refusing this request (403, 404, 412 ...).
    /// </summary>
    internal static bool IsUnavailable(Exception e) => e switch
    {
        RequestFailedException { Status: 0 } => true,
        RequestFailedException r => r.Status is 408 or 429 or 500 or 502 or 503 or 504,
        // The SDK aggregates the exceptions of the tries that got no answer (error answers are not exceptions there).
        AggregateException or HttpRequestException or IOException or OperationCanceledException => true,
        _ => false,
    };

    // A HEAD request has no body, so the error code comes from the x-ms-error-code header; it tells a missing
    // container (a configuration error) from a missing blob (an ordinary answer).
    private static bool IsContainerNotFound(RequestFailedException e) =>
        string.Equals(e.ErrorCode, BlobErrorCode.ContainerNotFound.ToString(), StringComparison.Ordinal);

    /// <summary>
    /// The innermost message of a transport failure ("Connection refused (127.0.0.1:1)"); a try that got no
    /// answer within its network timeout is "no answer in time" (the SDK's text names the timeout, which the
    /// retry policy shortens for the last try: one cause, one text).
    /// </summary>
    internal static string TransportError(Exception e)
    {
        // A failed connection's HttpRequestException names the endpoint ("Connection refused (host:port)"); one that
        // failed later says only "An error occurred while sending the request.", its cause further in ("Connection
        // reset by peer").
        while (e.InnerException is { } inner && e is not OperationCanceledException
            && !(e is HttpRequestException && inner is System.Net.Sockets.SocketException))
        {
            e = inner;
        }
        return e is OperationCanceledException ? "no answer in time" : e.Message;
    }

    private StoreException Failure(string path, string what, Exception e)
    {
        // RequestFailedException messages carry the response body and headers; the status and error code say enough.
        var reason = e switch
        {
            RequestFailedException { Status: 404 } r when IsContainerNotFound(r) => "the container does not exist",
            RequestFailedException { Status: 404 } => "no such object",
            RequestFailedException { Status: > 0 } r => $"{what}: HTTP {r.Status} {r.ErrorCode}",
            // Every try failed without an answer: one line naming the tries and the distinct transport errors.
            AggregateException a => $"{what}: no answer from the blob service after {a.InnerExceptions.Count} tries ({string.Join("; ", a.InnerExceptions.Select(TransportError).Distinct())})",
            RequestFailedException or OperationCanceledException => $"{what}: no answer from the blob service ({TransportError(e)})",
            _ => $"{what}: {e.Message}",
        };
        return new StoreException(Description, path, reason, e, IsUnavailable(e));
    }
}
