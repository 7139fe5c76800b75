using System.IO.Compression;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats;

/// <summary>
/// Reads numpy <c>.npy</c> (one array, named after the file) and <c>.npz</c> archives (one array per
/// entry, in archive order, which is the order <c>np.savez</c> was given). Headers are read up front;
/// array bytes are read when a tensor is requested. Fortran-ordered arrays are returned in C order.
/// </summary>
public sealed class NumpyReader : IModelReader
{
    private readonly FileRangeReader _io = new();
    private readonly Dictionary<string, bool> _fortran = new(StringComparer.Ordinal);

    private NumpyReader(string path, string format)
    {
        ModelPath = path;
        FormatName = format;
    }

    /// <inheritdoc />
    public string ModelPath { get; }

    /// <inheritdoc />
    public string FormatName { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Tensors { get; private set; } = [];

    /// <summary>Opens a single <c>.npy</c> file; its tensor is named after the file (without extension).</summary>
    public static NumpyReader OpenNpy(string file)
    {
        var r = new NumpyReader(file, "npy");
        string name = Path.GetFileNameWithoutExtension(file);
        using var fs = OpenStream(file);
        var h = NpyHeader.Read(fs, file, name);
        var t = MakeInfo(name, h, file, h.DataOffset, null);
        long available = fs.Length - h.DataOffset;
        if (t.ByteLength > available)
        {
            throw new ModelFormatException(file, name, $"shape {t.ShapeText} needs {t.ByteLength} bytes but the file holds {available}");
        }
        r._fortran[name] = h.FortranOrder;
        r.Tensors = [t];
        return r;
    }

    /// <summary>Opens an <c>.npz</c> archive.</summary>
    public static NumpyReader OpenNpz(string file)
    {
        var r = new NumpyReader(file, "npz");
        try
        {
            using var zip = OpenZip(file);
            var list = new List<TensorInfo>();
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                {
                    continue;
                }
                string name = entry.FullName[..^4];
                if (r._fortran.ContainsKey(name))
                {
                    // A zip may repeat a name; which copy a reader sees would be arbitrary.
                    throw new ModelFormatException(file, name, "archive holds this array more than once");
                }
                var t = ReadEntryHeader(entry, file, name, out bool fortran);
                r._fortran[name] = fortran;
                list.Add(t);
            }
            r.Tensors = list;
            return r;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            r.Dispose();
            throw new ModelFormatException(file, null, $"not a readable zip archive: {e.Message}", e);
        }
        catch
        {
            r.Dispose();
            throw;
        }
    }

    private static TensorInfo ReadEntryHeader(ZipArchiveEntry entry, string file, string name, out bool fortran)
    {
        try
        {
            using var s = OpenEntry(entry, file, name);
            var h = NpyHeader.Read(s, file, name);
            var t = MakeInfo(name, h, file, h.DataOffset, entry.FullName);
            if (h.DataOffset + t.ByteLength > entry.Length)
            {
                throw new ModelFormatException(file, name, $"shape {t.ShapeText} needs {t.ByteLength} bytes but the archive entry holds {entry.Length - h.DataOffset}");
            }
            CheckEntrySizes(entry, file, name, h.DataOffset + t.ByteLength);
            fortran = h.FortranOrder;
            return t;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            throw new ModelFormatException(file, name, $"cannot read archive entry: {e.Message}", e);
        }
    }

    /// <summary>
    /// An entry's sizes come from the zip directory and can lie: before memory is allocated for
    /// <paramref name="needed"/> bytes, they must fit in the archive and in what deflate can expand
    /// its compressed bytes to (at most 1032 to 1).
    /// </summary>
    private static void CheckEntrySizes(ZipArchiveEntry entry, string file, string name, long needed)
    {
        const long maxDeflateRatio = 1032;
        long archive = ModelPaths.FileLength(file);
        if (entry.CompressedLength < 0 || entry.CompressedLength > archive)
        {
            throw new ModelFormatException(file, name, $"archive entry claims {entry.CompressedLength} compressed bytes but the archive holds {archive}");
        }
        if (needed > (entry.CompressedLength * maxDeflateRatio) + 64)
        {
            throw new ModelFormatException(file, name, $"archive entry claims {entry.Length} bytes from {entry.CompressedLength} compressed bytes, more than any zip entry can hold");
        }
    }

    /// <inheritdoc />
    public void ReadTensor(TensorInfo tensor, Span<double> destination)
    {
        int count = TensorReads.PlainElementCount(tensor);
        TensorReads.RequireLength(tensor, destination, count);
        if (!(_fortran.TryGetValue(tensor.Name, out bool fortran) && fortran && tensor.Rank >= 2))
        {
            ReadStored(tensor, destination);
            return;
        }
        // Fortran order: the stored elements are column-major; gather them into row-major order.
        var stored = GC.AllocateUninitializedArray<double>(count);
        ReadStored(tensor, stored);
        var strides = new long[tensor.Rank];
        strides[0] = 1;
        for (int k = 1; k < strides.Length; k++)
        {
            strides[k] = strides[k - 1] * tensor.Shape[k - 1];
        }
        TensorReads.Gather(stored, tensor.Shape, strides, destination);
    }

    private void ReadStored(TensorInfo t, Span<double> destination)
    {
        if (t.ContainerEntry is null)
        {
            _io.ReadAsDouble(t, destination);
            return;
        }
        try
        {
            using var zip = OpenZip(t.SourceFile);
            var entry = zip.GetEntry(t.ContainerEntry) ?? throw new ModelFormatException(t.SourceFile, t.Name, "archive entry disappeared");
            if (t.Offset + t.ByteLength > entry.Length)
            {
                throw new ModelFormatException(t.SourceFile, t.Name, $"archive entry now holds {entry.Length} bytes, {t.Offset + t.ByteLength} needed");
            }
            CheckEntrySizes(entry, t.SourceFile, t.Name, t.Offset + t.ByteLength);
            using var s = OpenEntry(entry, t.SourceFile, t.Name);
            var skip = new byte[t.Offset];
            s.ReadExactly(skip);
            // An entry stream reads forward only: the chunks come in order, so the offsets need no seeking.
            TensorReads.DecodeInChunks(
                destination.Length, DTypes.SizeOf(t.DType), 1, destination,
                (_, bytes) => s.ReadExactly(bytes),
                (bytes, values) => ElementConverter.ToDouble(bytes, t.DType, values));
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException)
        {
            throw new ModelFormatException(t.SourceFile, t.Name, $"cannot read array data: {e.Message}", e);
        }
    }

    private static TensorInfo MakeInfo(string name, NpyHeader h, string file, long offset, string? entry)
    {
        long count = TensorInfo.CountElements(h.Shape);
        if (count < 0 || count > long.MaxValue / 8)
        {
            throw new ModelFormatException(file, name, $"shape ({string.Join(", ", h.Shape)}) overflows");
        }
        return new TensorInfo(name, h.DType, h.Shape, file, offset, count * DTypes.SizeOf(h.DType), entry);
    }

    private static FileStream OpenStream(string file)
    {
        try
        {
            return new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(file, null, $"cannot open: {e.Message}", e);
        }
    }

    private static ZipArchive OpenZip(string file)
    {
        try
        {
            return new ZipArchive(OpenStream(file), ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException e)
        {
            throw new ModelFormatException(file, null, $"not a readable zip archive: {e.Message}", e);
        }
    }

    private static Stream OpenEntry(ZipArchiveEntry entry, string file, string name)
    {
        try
        {
            return entry.Open();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            throw new ModelFormatException(file, name, $"cannot open archive entry: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _io.Dispose();
}
