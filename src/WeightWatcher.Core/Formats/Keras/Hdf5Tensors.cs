using System.Reflection;
using PureHDF;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.Keras;

/// <summary>
/// Lists the numeric datasets of an HDF5 file as <see cref="TensorInfo"/> headers (name = the dataset's path
/// without the leading slash) and reads them, through PureHDF, one dataset at a time: memory is bounded by
/// the tensor being read, never by the file.
/// </summary>
internal sealed class Hdf5Tensors
{
    /// <summary>Deepest group nesting walked; deeper (or cyclic) hierarchies are refused.</summary>
    public const int MaxDepth = 32;

    // PureHDF 2.2 keeps an object's file address in the internal NativeObject.Reference.Value; it is read
    // (when present) to refuse hard-link cycles. A group reached under two names (no cycle) is walked under
    // both, as h5py's visititems would; the object budget bounds such fan-outs.
    private static readonly PropertyInfo? ReferenceProperty = typeof(H5File).Assembly
        .GetType("PureHDF.VOL.Native.NativeObject")?.GetProperty("Reference", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
    private static readonly PropertyInfo? AddressProperty = typeof(H5File).Assembly
        .GetType("PureHDF.VOL.Native.NativeNamedReference")?.GetProperty("Value", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    private readonly string _file;
    private readonly long _fileLength;
    private readonly HashSet<ulong> _ancestors = [];
    private readonly Dictionary<string, (IH5Dataset Dataset, TensorInfo Info)> _datasets = new(StringComparer.Ordinal);
    private readonly List<TensorInfo> _tensors = [];
    private int _visited;

    private Hdf5Tensors(string file, long fileLength)
    {
        _file = file;
        _fileLength = fileLength;
    }

    /// <summary>The numeric datasets, in the file's group order, depth first.</summary>
    public IReadOnlyList<TensorInfo> Tensors => _tensors;

    /// <summary>Walks the whole file from <paramref name="root"/> and collects its numeric datasets.</summary>
    public static Hdf5Tensors Scan(string file, IH5Group root)
    {
        // The length of the file opened, not of a symbolic link's own entry (FileInfo describes the link: a
        // linked zoo file measured 44 bytes, its target's path, and every tensor was refused as past the end).
        long length;
        using (var handle = File.OpenHandle(file))
        {
            length = RandomAccess.GetLength(handle);
        }
        var scan = new Hdf5Tensors(file, length);
        scan.Walk(root, "", 0);
        return scan;
    }

    /// <summary>The tensor stored at <paramref name="path"/> (no leading slash), or null.</summary>
    public TensorInfo? Find(string path) => _datasets.TryGetValue(path, out var entry) ? entry.Info : null;

    /// <summary>Reads one dataset, widened to double, into <paramref name="destination"/>.</summary>
    public void Read(TensorInfo tensor, Span<double> destination)
    {
        if (!_datasets.TryGetValue(tensor.Name, out var entry))
        {
            throw new ModelFormatException(_file, tensor.Name, "no such dataset in this file");
        }
        var ds = entry.Dataset;
        TensorReads.RequireLength(tensor, destination, TensorReads.ElementCount(tensor));
        switch (tensor.DType)
        {
            case DType.F32:
                ElementConverter.ToDouble(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Fetch<float>(ds, tensor).AsSpan()), DType.F32, destination);
                break;
            case DType.F64:
                Fetch<double>(ds, tensor).CopyTo(destination);
                break;
            case DType.F16:
                Widen(Fetch<Half>(ds, tensor), destination, h => (double)h);
                break;
            case DType.I8:
                Widen(Fetch<sbyte>(ds, tensor), destination, v => v);
                break;
            case DType.U8:
                Widen(Fetch<byte>(ds, tensor), destination, v => v);
                break;
            case DType.I16:
                Widen(Fetch<short>(ds, tensor), destination, v => v);
                break;
            case DType.U16:
                Widen(Fetch<ushort>(ds, tensor), destination, v => v);
                break;
            case DType.I32:
                Widen(Fetch<int>(ds, tensor), destination, v => v);
                break;
            case DType.U32:
                Widen(Fetch<uint>(ds, tensor), destination, v => v);
                break;
            case DType.I64:
                Widen(Fetch<long>(ds, tensor), destination, v => v);
                break;
            case DType.U64:
                Widen(Fetch<ulong>(ds, tensor), destination, v => v);
                break;
            default:
                throw new ModelFormatException(_file, tensor.Name, $"element type {DTypes.DisplayName(tensor.DType)} is not read from HDF5");
        }
    }

    private T[] Fetch<T>(IH5Dataset ds, TensorInfo tensor)
    {
        var data = Hdf5Guard.Run(_file, tensor.Name, "read the dataset", () => ds.Read<T[]>());
        if (data is null || data.LongLength != tensor.ElementCount)
        {
            throw new ModelFormatException(_file, tensor.Name, $"dataset yielded {data?.LongLength ?? 0} elements, its shape {tensor.ShapeText} says {tensor.ElementCount}");
        }
        return data;
    }

    private static void Widen<T>(T[] source, Span<double> destination, Func<T, double> widen)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = widen(source[i]);
        }
    }

    private void Walk(IH5Group group, string path, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ModelFormatException(_file, path, $"groups nest more than {MaxDepth} deep (or link to themselves)");
        }
        ulong? address = AddressOf(group);
        if (address is { } a)
        {
            if (!_ancestors.Add(a))
            {
                throw new ModelFormatException(_file, PathOrRoot(path), "group links back to one of its parents (a cycle)");
            }
        }
        try
        {
            WalkChildren(group, path, depth);
        }
        finally
        {
            if (address is { } done)
            {
                _ancestors.Remove(done);
            }
        }
    }

    /// <summary>The file address of a group, or null when this PureHDF version does not expose it.</summary>
    internal static ulong? AddressOf(IH5Group group)
    {
        try
        {
            object? reference = ReferenceProperty?.GetValue(group);
            return reference is null ? null : AddressProperty?.GetValue(reference) as ulong?;
        }
        catch (Exception e) when (e is TargetException or TargetInvocationException or ArgumentException or MethodAccessException)
        {
            return null;
        }
    }

    private void WalkChildren(IH5Group group, string path, int depth)
    {
        var children = Hdf5Guard.Run(_file, PathOrRoot(path), "list the group", () => group.Children().ToList());
        foreach (var child in children)
        {
            if (++_visited > ReaderLimits.MaxTensorCount)
            {
                throw new ModelFormatException(_file, null, $"more than {ReaderLimits.MaxTensorCount} objects");
            }
            string name = Hdf5Guard.Run(_file, PathOrRoot(path), "read a link name", () => child.Name);
            string childPath = path.Length == 0 ? name : path + "/" + name;
            switch (child)
            {
                case IH5Group g:
                    Walk(g, childPath, depth + 1);
                    break;
                case IH5Dataset ds:
                    AddDataset(ds, childPath);
                    break;
                default:
                    break; // dangling soft/external links, committed datatypes
            }
        }
    }

    private static string PathOrRoot(string path) => path.Length == 0 ? "/" : path;

    private void AddDataset(IH5Dataset ds, string path)
    {
        var (typeClass, size, signed) = Hdf5Guard.Run(_file, path, "read the element type", () =>
            (ds.Type.Class, ds.Type.Size, ds.Type.Class == H5DataTypeClass.FixedPoint && ds.Type.FixedPoint.IsSigned));
        DType? dtype = ToDType(typeClass, size, signed);
        if (dtype is null)
        {
            return; // strings, compounds, enums (h5py booleans): not weights
        }
        var (dims, layout) = Hdf5Guard.Run(_file, path, "read the shape", () => (ds.Space.Dimensions, ds.Layout.Class));
        if (dims.Length > ReaderLimits.MaxRank)
        {
            throw new ModelFormatException(_file, path, $"rank {dims.Length} is more than {ReaderLimits.MaxRank}");
        }
        var shape = new long[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] > long.MaxValue)
            {
                throw new ModelFormatException(_file, path, $"dimension {i} is {dims[i]}, beyond any file size");
            }
            shape[i] = (long)dims[i];
        }
        long count = TensorInfo.CountElements(shape);
        int elementSize = DTypes.SizeOf(dtype.Value);
        if (count < 0 || count > long.MaxValue / elementSize)
        {
            throw new ModelFormatException(_file, path, $"shape ({string.Join(", ", shape)}) overflows 64 bits");
        }
        long bytes = count * elementSize;
        if (layout is H5DataLayoutClass.Contiguous or H5DataLayoutClass.Compact && bytes > _fileLength)
        {
            throw new ModelFormatException(_file, path, $"shape ({string.Join(", ", shape)}) needs {bytes} bytes but the file holds only {_fileLength}");
        }
        if (layout is H5DataLayoutClass.Chunked && (ulong)bytes > (ulong)Hdf5Preflight.MaxExpansion * (ulong)_fileLength)
        {
            // Chunks may be compressed, but not beyond what deflate can do: more is a corrupt shape (or
            // chunks never written), and PureHDF would allocate it all before reading any.
            throw new ModelFormatException(_file, path, $"shape ({string.Join(", ", shape)}) needs {bytes} bytes, more than {Hdf5Preflight.MaxExpansion} times the file's {_fileLength} could decompress into");
        }
        var info = new TensorInfo(path, dtype.Value, shape, _file, 0, bytes, path);
        if (!_datasets.TryAdd(path, (ds, info)))
        {
            throw new ModelFormatException(_file, path, "the same dataset path appears twice");
        }
        _tensors.Add(info);
    }

    private static DType? ToDType(H5DataTypeClass typeClass, int size, bool signed) => typeClass switch
    {
        H5DataTypeClass.FloatingPoint => size switch
        {
            2 => DType.F16,
            4 => DType.F32,
            8 => DType.F64,
            _ => null,
        },
        H5DataTypeClass.FixedPoint => (size, signed) switch
        {
            (1, true) => DType.I8,
            (1, false) => DType.U8,
            (2, true) => DType.I16,
            (2, false) => DType.U16,
            (4, true) => DType.I32,
            (4, false) => DType.U32,
            (8, true) => DType.I64,
            (8, false) => DType.U64,
            _ => null,
        },
        _ => null,
    };
}
