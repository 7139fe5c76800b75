using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.Win32.SafeHandles;

namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>One entry of a zip central directory, with the sizes it claims.</summary>
/// <param name="Name">Full entry name.</param>
/// <param name="Method">Compression method: 0 stored, 8 deflated.</param>
/// <param name="CompressedSize">Bytes the entry occupies in the archive.</param>
/// <param name="UncompressedSize">Bytes of its content.</param>
/// <param name="LocalHeaderOffset">Offset of its local file header.</param>
/// <param name="DataOffset">Offset of its (possibly compressed) bytes, after the local header.</param>
internal sealed record ZipEntryInfo(string Name, int Method, long CompressedSize, long UncompressedSize, long LocalHeaderOffset, long DataOffset)
{
    /// <summary>True for a stored (uncompressed) entry, whose content is a plain byte range of the archive.</summary>
    public bool IsStored => Method == 0;
}

/// <summary>
/// A minimal, defensive zip reader (with ZIP64): it parses the central directory and each entry's local
/// header itself, so that a stored entry's content is known as a plain byte range of the file (read like
/// safetensors), and a deflated entry is streamed. Sizes are never trusted: every range must lie inside
/// the file, a stored entry's two sizes must agree, and a deflated entry may not claim more than deflate
/// can expand its compressed bytes to (zip bombs are refused before anything is inflated).
/// </summary>
internal static class ZipDirectory
{
    /// <summary>Deflate expands at most about 1032 to 1.</summary>
    public const long MaxDeflateRatio = 1032;

    private const uint EocdSignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EocdSignature = 0x06064b50;
    private const uint CentralSignature = 0x02014b50;
    private const uint LocalSignature = 0x04034b50;

    /// <summary>Reads the central directory of <paramref name="file"/> and the local header of every entry.</summary>
    public static List<ZipEntryInfo> Read(string file)
    {
        using var handle = Open(file);
        long length = RandomAccess.GetLength(handle);
        int tailLength = (int)Math.Min(length, 22 + 65535);
        var tail = new byte[tailLength];
        TensorReads.ReadExactly(handle, file, length - tailLength, tail);
        int eocd = -1;
        for (int i = tailLength - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EocdSignature)
            {
                eocd = i;
                break;
            }
        }
        if (eocd < 0)
        {
            throw new ModelFormatException(file, null, "zip end-of-central-directory record not found (file is truncated or not a zip)");
        }
        long entries = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(eocd + 10));
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(eocd + 12));
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(eocd + 16));
        long eocdPos = length - tailLength + eocd;
        if ((entries == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) && eocdPos >= 20)
        {
            var locator = new byte[20];
            TensorReads.ReadExactly(handle, file, eocdPos - 20, locator);
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) == Zip64LocatorSignature)
            {
                long z64 = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(locator.AsSpan(8)), (ulong)long.MaxValue);
                if (z64 > length - 56)
                {
                    throw new ModelFormatException(file, null, "zip64 end-of-central-directory record lies beyond the end of the file");
                }
                var rec = new byte[56];
                TensorReads.ReadExactly(handle, file, z64, rec);
                if (BinaryPrimitives.ReadUInt32LittleEndian(rec) != Zip64EocdSignature)
                {
                    throw new ModelFormatException(file, null, "zip64 end-of-central-directory record is corrupt");
                }
                entries = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(rec.AsSpan(32)));
                cdSize = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(rec.AsSpan(40)));
                cdOffset = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(rec.AsSpan(48)));
            }
        }
        if (cdOffset > length || cdSize > length - cdOffset || cdSize > ReaderLimits.MaxHeaderBytes)
        {
            throw new ModelFormatException(file, null, $"zip central directory [{cdOffset}, +{cdSize}) lies outside the file ({length} bytes)");
        }
        if (entries > ReaderLimits.MaxTensorCount + 1024 || entries * 46 > cdSize)
        {
            throw new ModelFormatException(file, null, $"zip claims {entries} entries in a {cdSize}-byte central directory");
        }
        var cd = new byte[cdSize];
        TensorReads.ReadExactly(handle, file, cdOffset, cd);
        return ParseCentral(handle, file, cd, (int)entries, length);
    }

    private static long Clamp(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;

    private static List<ZipEntryInfo> ParseCentral(SafeFileHandle handle, string file, byte[] cd, int count, long fileLength)
    {
        var result = new List<ZipEntryInfo>(count);
        int p = 0;
        var local = new byte[30];
        for (int n = 0; n < count; n++)
        {
            if (p + 46 > cd.Length || BinaryPrimitives.ReadUInt32LittleEndian(cd.AsSpan(p)) != CentralSignature)
            {
                throw new ModelFormatException(file, null, $"zip central directory entry {n} is corrupt");
            }
            var h = cd.AsSpan(p);
            int flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            long comp = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            int commentLen = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            long lho = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            if (p + 46 + nameLen + extraLen + commentLen > cd.Length)
            {
                throw new ModelFormatException(file, null, $"zip central directory entry {n} runs past the directory");
            }
            string name = System.Text.Encoding.UTF8.GetString(cd, p + 46, nameLen);
            ApplyZip64(cd.AsSpan(p + 46 + nameLen, extraLen), ref size, ref comp, ref lho);
            p += 46 + nameLen + extraLen + commentLen;
            if ((flags & 1) != 0)
            {
                throw new ModelFormatException(file, null, $"zip entry '{TorchGlobals.Printable(name)}' is encrypted");
            }
            if (lho > fileLength - 30)
            {
                throw new ModelFormatException(file, null, $"zip entry '{TorchGlobals.Printable(name)}' has its header beyond the end of the file");
            }
            TensorReads.ReadExactly(handle, file, lho, local);
            if (BinaryPrimitives.ReadUInt32LittleEndian(local) != LocalSignature)
            {
                throw new ModelFormatException(file, null, $"zip entry '{TorchGlobals.Printable(name)}' has a corrupt local header");
            }
            long dataOffset = lho + 30 + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(28));
            result.Add(new ZipEntryInfo(name, method, comp, size, lho, dataOffset));
        }
        return result;
    }

    private static void ApplyZip64(ReadOnlySpan<byte> extra, ref long size, ref long comp, ref long lho)
    {
        int q = 0;
        while (q + 4 <= extra.Length)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(extra[q..]);
            int len = BinaryPrimitives.ReadUInt16LittleEndian(extra[(q + 2)..]);
            if (q + 4 + len > extra.Length)
            {
                return;
            }
            if (id == 1)
            {
                var f = extra.Slice(q + 4, len);
                int at = 0;
                size = TakeZip64(f, ref at, size);
                comp = TakeZip64(f, ref at, comp);
                lho = TakeZip64(f, ref at, lho);
                return;
            }
            q += 4 + len;
        }
    }

    /// <summary>A 32-bit field saturated at 0xFFFFFFFF takes its value from the next 8 bytes of the zip64 extra field.</summary>
    private static long TakeZip64(ReadOnlySpan<byte> field, ref int at, long value)
    {
        if (value != 0xFFFFFFFF || at + 8 > field.Length)
        {
            return value;
        }
        value = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(field[at..]));
        at += 8;
        return value;
    }

    /// <summary>
    /// Checks that an entry can be read as it claims: a known method, its compressed bytes inside the file,
    /// equal sizes when stored, and no more content than deflate can produce from its compressed bytes.
    /// </summary>
    public static void Validate(string file, ZipEntryInfo e, long fileLength)
    {
        string name = TorchGlobals.Printable(e.Name);
        if (e.Method is not (0 or 8))
        {
            throw new ModelFormatException(file, null, $"zip entry '{name}' uses compression method {e.Method} (only stored and deflated are supported)");
        }
        if (e.DataOffset > fileLength || e.CompressedSize > fileLength - e.DataOffset)
        {
            throw new ModelFormatException(file, null, $"zip entry '{name}' claims {e.CompressedSize} bytes at {e.DataOffset}, beyond the end of the file ({fileLength} bytes; truncated?)");
        }
        if (e.IsStored && e.CompressedSize != e.UncompressedSize)
        {
            throw new ModelFormatException(file, null, $"stored zip entry '{name}' claims {e.UncompressedSize} bytes but occupies {e.CompressedSize}");
        }
        if (!e.IsStored && e.UncompressedSize > (e.CompressedSize * MaxDeflateRatio) + 64)
        {
            throw new ModelFormatException(file, null, $"zip entry '{name}' claims {e.UncompressedSize} bytes from {e.CompressedSize} compressed bytes, more than deflate can produce (zip bomb?)");
        }
    }

    /// <summary>
    /// Opens an entry's content as a stream that yields at most its declared size (a deflated entry that
    /// inflates to more is cut there; one that inflates to less fails the caller's exact reads).
    /// </summary>
    public static Stream OpenEntry(string file, ZipEntryInfo e)
    {
        var handle = Open(file);
        Stream raw = new FileSliceStream(handle, e.DataOffset, e.CompressedSize);
        return e.IsStored ? raw : new BoundedStream(new DeflateStream(raw, CompressionMode.Decompress), e.UncompressedSize);
    }

    /// <summary>Reads an entry's whole content (at most <paramref name="limit"/> bytes).</summary>
    public static byte[] ReadAll(string file, ZipEntryInfo e, long limit)
    {
        if (e.UncompressedSize > limit)
        {
            throw new ModelFormatException(file, null, $"zip entry '{TorchGlobals.Printable(e.Name)}' claims {e.UncompressedSize} bytes, more than the limit of {limit}");
        }
        var bytes = new byte[e.UncompressedSize];
        using var s = OpenEntry(file, e);
        ReadEntryExactly(file, e, s, bytes);
        return bytes;
    }

    /// <summary>Fills <paramref name="buffer"/> from an entry stream, turning every failure into a <see cref="ModelFormatException"/>.</summary>
    public static void ReadEntryExactly(string file, ZipEntryInfo e, Stream s, Span<byte> buffer)
    {
        try
        {
            s.ReadExactly(buffer);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IOException)
        {
            throw new ModelFormatException(file, null, $"zip entry '{TorchGlobals.Printable(e.Name)}' cannot be read as declared: {ex.Message}", ex);
        }
    }

    private static SafeFileHandle Open(string file)
    {
        try
        {
            return File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(file, null, $"cannot open: {e.Message}", e);
        }
    }
}
