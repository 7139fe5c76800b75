using System.Buffers.Binary;
using System.Text;

namespace WeightWatcher.Core.Formats.Gguf;

/// <summary>
/// Sequential little-endian reads of a GGUF header through a window buffer. Every read is checked against
/// the file length first, so a truncated or lying header fails with a clear error before any allocation;
/// skips inside the window cost nothing (a vocabulary array of 100k strings is skipped in one pass).
/// </summary>
internal sealed class GgufCursor
{
    private const int WindowBytes = 1 << 16;
    private readonly FileRangeReader _io;
    private readonly byte[] _window = new byte[WindowBytes];
    private long _windowStart;
    private int _windowLength;

    public GgufCursor(FileRangeReader io, string file)
    {
        _io = io;
        File = file;
        Length = io.Length(file);
    }

    /// <summary>The file read.</summary>
    public string File { get; }

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>Absolute position of the next byte read.</summary>
    public long Position { get; private set; }

    /// <summary>Bytes between <see cref="Position"/> and the end of the file.</summary>
    public long Remaining => Length - Position;

    public byte U8(string what) => Take(1, what)[0];

    public ushort U16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));

    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

    public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

    public float F32(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));

    public double F64(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    /// <summary>A GGUF string: uint64 byte length, then UTF-8 bytes (at most <paramref name="maxBytes"/>).</summary>
    public string String(string what, long maxBytes)
    {
        long start = Position;
        ulong n = U64(what + " length");
        if (n > (ulong)maxBytes)
        {
            throw Error($"{what} at byte {start} claims {n} bytes, more than the limit of {maxBytes}");
        }
        Require((long)n, what);
        var bytes = new byte[(int)n];
        Fill(bytes, what);
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw Error($"{what} at byte {start} is not valid UTF-8", e);
        }
    }

    /// <summary>Skips a GGUF string without materialising it.</summary>
    public void SkipString(string what)
    {
        long start = Position;
        ulong n = U64(what + " length");
        if (n > (ulong)Remaining)
        {
            throw Error($"{what} at byte {start} claims {n} bytes but only {Remaining} remain (file is truncated or corrupt)");
        }
        Skip((long)n, what);
    }

    /// <summary>Moves <paramref name="count"/> bytes forward.</summary>
    public void Skip(long count, string what)
    {
        Require(count, what);
        Position += count;
    }

    /// <summary>Fails unless <paramref name="count"/> more bytes exist.</summary>
    public void Require(long count, string what)
    {
        if (count < 0 || count > Remaining)
        {
            throw Error($"unexpected end of file reading {what} at byte {Position} ({count} bytes needed, {Remaining} remain; file is truncated)");
        }
    }

    public ModelFormatException Error(string reason, Exception? inner = null) => new(File, null, reason, inner);

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        Require(count, what);
        if (Position < _windowStart || Position + count > _windowStart + _windowLength)
        {
            _windowStart = Position;
            _windowLength = (int)Math.Min(WindowBytes, Remaining);
            _io.ReadExactly(File, _windowStart, _window.AsSpan(0, _windowLength));
        }
        var span = _window.AsSpan((int)(Position - _windowStart), count);
        Position += count;
        return span;
    }

    private void Fill(Span<byte> destination, string what)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int n = Math.Min(destination.Length - done, WindowBytes);
            Take(n, what).CopyTo(destination[done..]);
            done += n;
        }
    }
}
