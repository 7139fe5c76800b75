using System.Buffers;
using Microsoft.Win32.SafeHandles;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats;

/// <summary>
/// The pieces every reader's <see cref="IModelReader.ReadTensor(TensorInfo, Span{double})"/> shares: size
/// checks, the destination check, positional exact reads, and decoding a byte range chunk by chunk so that
/// a tensor's bytes are never all in memory at once.
/// </summary>
internal static class TensorReads
{
    /// <summary>Bytes read per chunk when decoding (whole elements or blocks).</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>Supplies the stored bytes of a tensor from <paramref name="offset"/> (relative to its first byte).</summary>
    public delegate void ByteSource(long offset, Span<byte> buffer);

    /// <summary>Turns one chunk of stored bytes into its elements.</summary>
    public delegate void ChunkDecoder(ReadOnlySpan<byte> bytes, Span<double> destination);

    /// <summary>The element count of <paramref name="t"/>, refused when invalid or above <see cref="ReaderLimits.MaxTensorElements"/>.</summary>
    /// <exception cref="ModelFormatException">The shape overflows or is too large to materialise.</exception>
    public static int ElementCount(TensorInfo t)
    {
        long count = t.ElementCount;
        if (count < 0)
        {
            throw new ModelFormatException(t.SourceFile, t.Name, $"shape {t.ShapeText} is invalid or overflows");
        }
        if (count > ReaderLimits.MaxTensorElements)
        {
            throw new ModelFormatException(t.SourceFile, t.Name, $"shape {t.ShapeText} has {count} elements, more than the limit of {ReaderLimits.MaxTensorElements}");
        }
        return (int)count;
    }

    /// <summary>
    /// <see cref="ElementCount"/>, and the stored byte count must be that many elements of the tensor's type
    /// (plain arrays; quantized encodings check their own block layout).
    /// </summary>
    /// <exception cref="ModelFormatException">The shape is invalid or too large, or the byte count does not match it.</exception>
    public static int PlainElementCount(TensorInfo t)
    {
        int count = ElementCount(t);
        long expected = (long)count * DTypes.SizeOf(t.DType);
        if (expected != t.ByteLength)
        {
            throw new ModelFormatException(t.SourceFile, t.Name, $"byte count {t.ByteLength} does not match {DTypes.DisplayName(t.DType)} shape {t.ShapeText} ({expected} bytes expected)");
        }
        return count;
    }

    /// <summary>
    /// This model's entry for <paramref name="tensor"/>, found by name and checked to describe the same bytes
    /// (a caller may hold a copy of the header, never another model's tensor).
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not one of this model's.</exception>
    public static T Entry<T>(IReadOnlyDictionary<string, T> byName, TensorInfo tensor, Func<T, TensorInfo> info)
    {
        if (!byName.TryGetValue(tensor.Name, out var entry) || !info(entry).SameBytes(tensor))
        {
            throw new ArgumentException($"tensor '{tensor.Name}' is not one of this model's tensors", nameof(tensor));
        }
        return entry;
    }

    /// <summary>Refuses a destination that does not hold exactly <paramref name="count"/> elements (a caller's bug, not bad input).</summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static void RequireLength(TensorInfo t, Span<double> destination, long count)
    {
        if (destination.Length != count)
        {
            throw new ArgumentException($"destination holds {destination.Length} elements, tensor '{t.Name}' has {count}", nameof(destination));
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/> of an open file, or refuses a file that ends too soon.</summary>
    /// <exception cref="ModelFormatException">The file ends before the buffer is full.</exception>
    public static void ReadExactly(SafeFileHandle handle, string file, long offset, Span<byte> buffer)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (n <= 0)
            {
                throw new ModelFormatException(file, null, $"unexpected end of file at byte {offset + done} (file is truncated)");
            }
            done += n;
        }
    }

    /// <summary>
    /// Decodes <paramref name="units"/> stored units (elements, or quantization blocks) of
    /// <paramref name="unitBytes"/> bytes and <paramref name="unitElements"/> elements each into
    /// <paramref name="destination"/>, reading about <see cref="ChunkBytes"/> at a time through a pooled buffer.
    /// </summary>
    public static void DecodeInChunks(long units, int unitBytes, int unitElements, Span<double> destination, ByteSource read, ChunkDecoder decode)
    {
        int perChunk = Math.Max(1, ChunkBytes / unitBytes);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, Math.Min(perChunk, units) * unitBytes));
        try
        {
            for (long start = 0; start < units; start += perChunk)
            {
                int n = (int)Math.Min(perChunk, units - start);
                var bytes = buffer.AsSpan(0, n * unitBytes);
                read(start * unitBytes, bytes);
                decode(bytes, destination.Slice((int)(start * unitElements), n * unitElements));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Copies the elements of a strided view of <paramref name="source"/> in row-major order.</summary>
    public static void Gather(ReadOnlySpan<double> source, long[] shape, long[] stride, Span<double> destination)
    {
        int rank = shape.Length;
        var index = new long[rank];
        long pos = 0;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = source[(int)pos];
            for (int k = rank - 1; k >= 0; k--)
            {
                if (++index[k] < shape[k])
                {
                    pos += stride[k];
                    break;
                }
                pos -= (shape[k] - 1) * stride[k];
                index[k] = 0;
            }
        }
    }
}
