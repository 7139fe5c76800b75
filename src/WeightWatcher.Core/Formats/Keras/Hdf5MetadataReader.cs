using System.Text;
using Microsoft.Win32.SafeHandles;

namespace WeightWatcher.Core.Formats.Keras;

/// <summary>
/// Reads HDF5 metadata at absolute file positions through one small window, so that checking a structure
/// costs a few kilobytes of memory whatever its length fields say. Addresses in the file are relative to
/// the superblock's base address; <see cref="Resolve"/> turns one into a file position after checking that
/// the structure it points to starts (and, given its minimum size, ends) inside the file.
/// </summary>
internal sealed class Hdf5MetadataReader : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly byte[] _window = new byte[8192];
    private long _windowStart = -1;
    private int _windowLength;

    public Hdf5MetadataReader(string file)
    {
        File = file;
        try
        {
            _handle = System.IO.File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read);
            Length = RandomAccess.GetLength(_handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(file, null, $"cannot read: {e.Message}", e);
        }
    }

    /// <summary>The file, for error messages.</summary>
    public string File { get; }

    /// <summary>The file's length in bytes: the bound of every structure in it.</summary>
    public long Length { get; }

    /// <summary>Size in bytes of a file address (from the superblock).</summary>
    public int OffsetSize { get; set; } = 8;

    /// <summary>Size in bytes of a length field (from the superblock).</summary>
    public int LengthSize { get; set; } = 8;

    /// <summary>The superblock's base address, which every other address is relative to.</summary>
    public ulong BaseAddress { get; set; }

    /// <summary>The byte at <paramref name="position"/>; the caller has checked that it is inside the file.</summary>
    public byte ByteAt(long position)
    {
        if (position < _windowStart || position >= _windowStart + _windowLength)
        {
            if (position < 0 || position >= Length)
            {
                throw new InvalidOperationException($"read at {position} outside a file of {Length} bytes");
            }
            _windowLength = RandomAccess.Read(_handle, _window, position);
            _windowStart = position;
            if (_windowLength <= 0)
            {
                throw new ModelFormatException(File, null, $"the file ended at {position} while being read (was it changed?)");
            }
        }
        return _window[position - _windowStart];
    }

    /// <summary>True when <paramref name="address"/> is HDF5's "undefined address" (all bits set).</summary>
    public bool IsUndefined(ulong address) =>
        OffsetSize >= 8 ? address == ulong.MaxValue : address == (1UL << (8 * OffsetSize)) - 1;

    /// <summary>
    /// The file position of <paramref name="address"/>, checked to leave at least <paramref name="minSize"/>
    /// bytes before the end of the file.
    /// </summary>
    /// <exception cref="ModelFormatException">The address is undefined or points beyond the file.</exception>
    public long Resolve(ulong address, ulong minSize, string? objectPath, string field)
    {
        if (IsUndefined(address))
        {
            throw Fail(objectPath, $"{field} is the undefined address");
        }
        ulong position = BaseAddress + address;
        if (position < address || position > (ulong)Length || minSize > (ulong)Length - position)
        {
            throw Fail(objectPath, $"{field} {address} (+{minSize} bytes) points beyond the end of the file ({Length} bytes)");
        }
        return (long)position;
    }

    /// <summary>A cursor over [<paramref name="start"/>, <paramref name="end"/>), naming the structure read.</summary>
    public Hdf5Cursor Cursor(long start, long end, string? objectPath, string what) => new(this, start, Math.Min(end, Length), objectPath, what);

    /// <summary>The error for a broken structure of <paramref name="objectPath"/>.</summary>
    public ModelFormatException Fail(string? objectPath, string reason) => new(File, objectPath ?? "/", $"corrupt HDF5 metadata: {reason}");

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}

/// <summary>
/// A read position inside one HDF5 structure (an object header message, a heap, a B-tree node) that refuses
/// to read past the structure's end: a length field that claims more than the structure holds fails here,
/// before anything is allocated for it.
/// </summary>
internal sealed class Hdf5Cursor(Hdf5MetadataReader reader, long start, long end, string? objectPath, string what)
{
    /// <summary>The reader.</summary>
    public Hdf5MetadataReader Reader { get; } = reader;

    /// <summary>The current file position.</summary>
    public long Position { get; set; } = start;

    /// <summary>The end (exclusive) of the structure.</summary>
    public long End { get; } = end;

    /// <summary>The HDF5 path of the object the structure belongs to.</summary>
    public string? ObjectPath { get; } = objectPath;

    /// <summary>What the structure is, for error messages ("attribute message", "local heap" ...).</summary>
    public string What { get; } = what;

    /// <summary>Bytes left before the end of the structure.</summary>
    public long Left => End - Position;

    /// <summary>Checks that <paramref name="count"/> bytes of <paramref name="field"/> fit in what is left.</summary>
    public void Need(ulong count, string field)
    {
        if (count > (ulong)Math.Max(0, Left))
        {
            throw Reader.Fail(ObjectPath, $"{What}: {field} of {count} bytes overruns it ({Math.Max(0, Left)} bytes left)");
        }
    }

    /// <summary>Skips <paramref name="count"/> bytes of <paramref name="field"/>.</summary>
    public void Skip(ulong count, string field)
    {
        Need(count, field);
        Position += (long)count;
    }

    /// <summary>An unsigned little-endian integer of <paramref name="size"/> (1 to 8) bytes.</summary>
    public ulong UInt(int size, string field)
    {
        if (size is < 1 or > 8)
        {
            throw Reader.Fail(ObjectPath, $"{What}: {field} is {size} bytes wide");
        }
        Need((ulong)size, field);
        ulong value = 0;
        for (int i = 0; i < size; i++)
        {
            value |= (ulong)Reader.ByteAt(Position + i) << (8 * i);
        }
        Position += size;
        return value;
    }

    /// <summary>One byte.</summary>
    public byte U8(string field) => (byte)UInt(1, field);

    /// <summary>A 16-bit field.</summary>
    public ushort U16(string field) => (ushort)UInt(2, field);

    /// <summary>A 32-bit field.</summary>
    public uint U32(string field) => (uint)UInt(4, field);

    /// <summary>A file address (superblock offset size).</summary>
    public ulong Offset(string field) => UInt(Reader.OffsetSize, field);

    /// <summary>A length (superblock length size).</summary>
    public ulong Length(string field) => UInt(Reader.LengthSize, field);

    /// <summary>Checks a 4-byte signature.</summary>
    public void Signature(string expected)
    {
        Need(4, "signature");
        for (int i = 0; i < 4; i++)
        {
            if (Reader.ByteAt(Position + i) != expected[i])
            {
                throw Reader.Fail(ObjectPath, $"{What}: no '{expected}' signature at {Position}");
            }
        }
        Position += 4;
    }

    /// <summary>
    /// <paramref name="count"/> bytes as UTF-8 text (a link name): checked against the end of the structure
    /// first, and never longer than the structure.
    /// </summary>
    public string Text(ulong count, string field)
    {
        Need(count, field);
        var bytes = new byte[(int)count];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = Reader.ByteAt(Position + i);
        }
        Position += bytes.Length;
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>
    /// A null-terminated string that must end inside the structure, optionally followed by padding to a
    /// multiple of 8 bytes (counting the terminator), as the HDF5 library pads names in version 1 messages.
    /// </summary>
    public string NullTerminated(bool pad, string field)
    {
        long start = Position;
        while (Position < End && Reader.ByteAt(Position) != 0)
        {
            Position++;
        }
        if (Position >= End)
        {
            throw Reader.Fail(ObjectPath, $"{What}: {field} has no terminating zero before the end ({End - start} bytes)");
        }
        long length = Position - start;
        var bytes = new byte[length];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = Reader.ByteAt(start + i);
        }
        Position++;
        if (pad)
        {
            // Padding is skipped by a seek in the library: it may end exactly at the structure's end.
            Position += (8 - (length + 1) % 8) % 8;
        }
        return Encoding.UTF8.GetString(bytes);
    }
}
