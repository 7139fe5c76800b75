using Microsoft.Win32.SafeHandles;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats;

/// <summary>
/// Positional reads from a set of files, opened once and shared by concurrent readers
/// (<see cref="RandomAccess"/> has no shared file position, so no locking is needed).
/// </summary>
internal sealed class FileRangeReader : IDisposable
{
    private readonly Dictionary<string, SafeFileHandle> _handles = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public long Length(string file) => RandomAccess.GetLength(Handle(file));

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/> of <paramref name="file"/>.</summary>
    /// <exception cref="ModelFormatException">The file cannot be opened or ends too soon.</exception>
    public void ReadExactly(string file, long offset, Span<byte> buffer) => TensorReads.ReadExactly(Handle(file), file, offset, buffer);

    /// <summary>Reads a plain tensor's byte range in chunks, widening each chunk into <paramref name="destination"/>.</summary>
    /// <exception cref="ModelFormatException">The shape and byte count disagree, or the bytes are not in the file.</exception>
    public void ReadAsDouble(TensorInfo t, Span<double> destination)
    {
        int count = TensorReads.PlainElementCount(t);
        TensorReads.RequireLength(t, destination, count);
        RequireInFile(t.SourceFile, t.Name, t.Offset, t.ByteLength);
        TensorReads.DecodeInChunks(
            count, DTypes.SizeOf(t.DType), 1, destination,
            (offset, bytes) => ReadExactly(t.SourceFile, t.Offset + offset, bytes),
            (bytes, values) => ElementConverter.ToDouble(bytes, t.DType, values));
    }

    /// <summary>
    /// Refuses a byte range that is not (or no longer) inside <paramref name="file"/>; checked before
    /// anything is allocated for it (the file may have shrunk since it was opened).
    /// </summary>
    /// <exception cref="ModelFormatException">The range lies beyond the end of the file.</exception>
    public void RequireInFile(string file, string tensor, long offset, long length)
    {
        long fileLength = Length(file);
        if (offset < 0 || length > fileLength - offset)
        {
            throw new ModelFormatException(file, tensor, $"byte range [{offset}, {offset + length}) lies beyond the end of the file ({fileLength} bytes)");
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
