using Microsoft.Win32.SafeHandles;

namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>A read-only stream over a byte range of a file, by positional reads; owns the handle.</summary>
internal sealed class FileSliceStream : Stream
{
    private readonly SafeFileHandle _handle;
    private readonly long _start;
    private readonly long _length;
    private long _position;

    /// <summary>Creates the stream over [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>).</summary>
    public FileSliceStream(SafeFileHandle handle, long start, long length)
    {
        _handle = handle;
        _start = start;
        _length = length;
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, _length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        long left = _length - _position;
        if (left <= 0 || buffer.IsEmpty)
        {
            return 0;
        }
        int n = RandomAccess.Read(_handle, buffer[..(int)Math.Min(buffer.Length, left)], _start + _position);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>A read-only forward stream that yields at most a fixed number of bytes of another; owns it.</summary>
internal sealed class BoundedStream : Stream
{
    private readonly Stream _inner;
    private readonly long _limit;
    private long _read;

    /// <summary>Creates the stream: at most <paramref name="limit"/> bytes of <paramref name="inner"/>.</summary>
    public BoundedStream(Stream inner, long limit)
    {
        _inner = inner;
        _limit = limit;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        long left = _limit - _read;
        if (left <= 0 || buffer.IsEmpty)
        {
            return 0;
        }
        int n = _inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
        _read += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
