namespace WeightWatcher.Storage;

/// <summary>
/// The read stream of a blob (<see cref="AzureBlobStore.OpenReadAsync"/>), which fetches ranges as it is read:
/// a failure of one of those fetches comes out as the store's <see cref="StoreException"/> naming the blob (and
/// saying whether the store is unavailable), like a failure of any other store call, instead of the SDK's raw
/// exception (an AggregateException of transport errors, a timeout's OperationCanceledException).
/// </summary>
internal sealed class BlobReadStream : Stream
{
    private readonly Stream _inner;
    private readonly Func<Exception, CancellationToken, Exception?> _translate;

    /// <param name="inner">The SDK's stream.</param>
    /// <param name="translate">The store's exception for a failure of the inner stream, or null to let it pass.</param>
    public BlobReadStream(Stream inner, Func<Exception, CancellationToken, Exception?> translate)
    {
        _inner = inner;
        _translate = translate;
    }

    /// <inheritdoc />
    public override bool CanRead => _inner.CanRead;

    /// <inheritdoc />
    public override bool CanSeek => _inner.CanSeek;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => _inner.Length;

    /// <inheritdoc />
    public override long Position
    {
        get => _inner.Position;
        set => _inner.Position = value;
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _inner.Read(buffer);
        }
        catch (Exception e) when (_translate(e, CancellationToken.None) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (_translate(e, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => _inner.DisposeAsync();
}
