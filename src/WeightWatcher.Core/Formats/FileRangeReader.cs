using System.Buffers;
using Microsoft.Win32.SafeHandles;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats;

/// <summary>
/// Positional reads from a set of files, opened once and shared by concurrent readers
/// (<see cref="RandomAccess"/> has no shared file position, so no locking is needed).
/// </summary>
internal sealed class FileRangeReader : IDisposable
{
    private const int ChunkBytes = 1 << 20;
    private readonly Dictionary<string, SafeFileHandle> _handles = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public long Length(string file) => RandomAccess.GetLength(Handle(file));

    public void ReadExactly(string file, long offset, Span<byte> buffer)
    {
        var handle = Handle(file);
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

    /// <summary>Reads a tensor's byte range in chunks, widening each chunk into a new array.</summary>
    public double[] ReadAsDouble(TensorInfo t)
    {
        long count = CheckRange(t);
        // Every element is overwritten, so the array need not be zeroed first.
        var result = GC.AllocateUninitializedArray<double>((int)count);
        ReadInto(t, result);
        return result;
    }

    /// <summary>Reads a tensor's byte range in chunks, widening each chunk into <paramref name="destination"/>.</summary>
    public void ReadAsDouble(TensorInfo t, Span<double> destination)
    {
        long count = CheckRange(t);
        if (destination.Length != count)
        {
            throw new ArgumentException($"destination holds {destination.Length} elements, tensor '{t.Name}' has {count}", nameof(destination));
        }
        ReadInto(t, destination);
    }

    private long CheckRange(TensorInfo t)
    {
        long count = TensorSizeGuard.CheckedElementCount(t);
        // Check that the bytes exist before allocating for them (the file may have shrunk since opening).
        long fileLength = Length(t.SourceFile);
        if (t.Offset < 0 || t.ByteLength > fileLength - t.Offset)
        {
            throw new ModelFormatException(t.SourceFile, t.Name, $"byte range [{t.Offset}, {t.Offset + t.ByteLength}) lies beyond the end of the file ({fileLength} bytes)");
        }
        return count;
    }

    private void ReadInto(TensorInfo t, Span<double> destination)
    {
        int size = DTypes.SizeOf(t.DType);
        int perChunk = Math.Max(1, ChunkBytes / size);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)perChunk * size, Math.Max(t.ByteLength, 1)));
        try
        {
            for (long start = 0; start < destination.Length; start += perChunk)
            {
                int n = (int)Math.Min(perChunk, destination.Length - start);
                var span = buffer.AsSpan(0, n * size);
                ReadExactly(t.SourceFile, t.Offset + start * size, span);
                ElementConverter.ToDouble(span, t.DType, destination.Slice((int)start, n));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private SafeFileHandle Handle(string file)
    {
        lock (_gate)
        {
            if (!_handles.TryGetValue(file, out var h))
            {
                try
                {
                    h = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new ModelFormatException(file, null, $"cannot open: {e.Message}", e);
                }
                _handles[file] = h;
            }
            return h;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var h in _handles.Values)
            {
                h.Dispose();
            }
            _handles.Clear();
        }
    }
}

/// <summary>Checks that a tensor's declared size is consistent and small enough to materialise.</summary>
internal static class TensorSizeGuard
{
    public static long CheckedElementCount(TensorInfo t)
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
        if (count * DTypes.SizeOf(t.DType) != t.ByteLength)
        {
            throw new ModelFormatException(t.SourceFile, t.Name, $"byte count {t.ByteLength} does not match {DTypes.DisplayName(t.DType)} shape {t.ShapeText} ({count * DTypes.SizeOf(t.DType)} bytes expected)");
        }
        return count;
    }
}
