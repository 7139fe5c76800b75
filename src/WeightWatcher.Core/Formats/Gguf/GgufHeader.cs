using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.Gguf;

/// <summary>One tensor of a GGUF file: its header as the rest of the tool sees it, and its ggml encoding.</summary>
/// <param name="Info">Name, logical element type, row-major shape and absolute byte range.</param>
/// <param name="Type">The ggml type its bytes are stored in.</param>
/// <param name="Dims">The dimensions as GGUF stores them (<c>ne[0]</c>, the fastest-varying, first).</param>
public sealed record GgufTensor(TensorInfo Info, GgmlType Type, long[] Dims);

/// <summary>
/// A parsed GGUF (version 2 or 3, little-endian) header: <c>magic "GGUF"</c>, <c>uint32 version</c>,
/// <c>uint64 tensor_count</c>, <c>uint64 metadata_kv_count</c>, the key/values, the tensor infos, then the
/// data section at the next multiple of <c>general.alignment</c> (default 32).
/// </summary>
public sealed class GgufHeader
{
    /// <summary>The default alignment of the data section and of tensor offsets.</summary>
    public const int DefaultAlignment = 32;

    /// <summary>Longest array whose elements are kept in <see cref="Metadata"/>; longer ones are skipped.</summary>
    public const int MaxKeptArrayElements = 4096;

    /// <summary>Most dimensions a ggml tensor has (<c>GGML_MAX_DIMS</c>).</summary>
    public const int MaxDims = 4;

    private const long MaxKeyBytes = 1 << 16;
    private const long MaxStringBytes = 1 << 26;
    private const int MaxArrayDepth = 8;
    private const int MaxAlignment = 1 << 24;

    private GgufHeader(uint version, Dictionary<string, GgufValue> metadata, int alignment, long dataOffset, List<GgufTensor> tensors)
    {
        Version = version;
        Metadata = metadata;
        Alignment = alignment;
        DataOffset = dataOffset;
        Tensors = tensors;
    }

    /// <summary>The format version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>The metadata key/values, in file order.</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }

    /// <summary>The alignment of the data section and tensor offsets.</summary>
    public int Alignment { get; }

    /// <summary>Absolute offset of the data section.</summary>
    public long DataOffset { get; }

    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<GgufTensor> Tensors { get; }

    internal static GgufHeader Read(FileRangeReader io, string file)
    {
        var c = new GgufCursor(io, file);
        if (c.Length < 4)
        {
            throw c.Error($"file is {c.Length} bytes, too short for a GGUF header");
        }
        uint magic = c.U32("magic");
        if (magic != 0x46554747)
        {
            throw c.Error($"not a GGUF file (magic 0x{magic:X8}, expected \"GGUF\")");
        }
        uint version = c.U32("version");
        if (version is 0x02000000 or 0x03000000)
        {
            throw c.Error("big-endian GGUF files are not supported");
        }
        if (version is not (2 or 3))
        {
            throw c.Error($"GGUF version {version} is not supported (only versions 2 and 3)");
        }
        ulong tensorCount = c.U64("tensor count");
        ulong kvCount = c.U64("metadata count");
        // Each tensor info takes at least 24 bytes (name length, n_dims, type, offset), each key/value 13.
        if (tensorCount > ReaderLimits.MaxTensorCount || tensorCount > (ulong)(c.Remaining / 24))
        {
            throw c.Error($"header claims {tensorCount} tensors, impossible for a file of {c.Length} bytes (limit {ReaderLimits.MaxTensorCount})");
        }
        if (kvCount > (ulong)(c.Remaining / 13))
        {
            throw c.Error($"header claims {kvCount} metadata entries, impossible for a file of {c.Length} bytes");
        }
        var metadata = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = c.String($"metadata key #{i}", MaxKeyBytes);
            uint type = c.U32($"type of metadata '{key}'");
            var value = ReadValue(c, type, key, 0);
            if (!metadata.TryAdd(key, value))
            {
                throw c.Error($"metadata key '{key}' appears more than once");
            }
        }
        int alignment = AlignmentOf(c, metadata);
        var raw = new List<(string Name, long[] Dims, uint Type, ulong Offset)>((int)tensorCount);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            string name = c.String($"name of tensor #{i}", MaxKeyBytes);
            uint nDims = c.U32($"n_dims of tensor '{name}'");
            if (nDims > MaxDims)
            {
                throw new ModelFormatException(file, name, $"declares {nDims} dimensions, more than ggml's {MaxDims}");
            }
            var dims = new long[nDims];
            for (int d = 0; d < nDims; d++)
            {
                ulong ne = c.U64($"dimension {d} of tensor '{name}'");
                if (ne > long.MaxValue)
                {
                    throw new ModelFormatException(file, name, $"dimension {d} is {ne}, which is absurd");
                }
                dims[d] = (long)ne;
            }
            uint type = c.U32($"type of tensor '{name}'");
            ulong offset = c.U64($"offset of tensor '{name}'");
            if (!names.Add(name))
            {
                throw new ModelFormatException(file, name, "tensor name appears more than once");
            }
            raw.Add((name, dims, type, offset));
        }
        long dataOffset = AlignUp(c.Position, alignment);
        var tensors = raw.Select(r => Describe(file, r.Name, r.Dims, r.Type, r.Offset, alignment, dataOffset, c.Length)).ToList();
        return new GgufHeader(version, metadata, alignment, dataOffset, tensors);
    }

    private static GgufTensor Describe(string file, string name, long[] dims, uint typeId, ulong offset, int alignment, long dataOffset, long fileLength)
    {
        if (GgmlTypes.Layout(typeId) is not var (blockSize, typeSize))
        {
            throw new ModelFormatException(file, name, $"unknown ggml type id {typeId}");
        }
        var type = (GgmlType)typeId;
        long count = TensorInfo.CountElements(dims);
        if (count < 0)
        {
            throw new ModelFormatException(file, name, $"dimensions [{string.Join(", ", dims)}] overflow a 64-bit element count");
        }
        if ((dims.Length > 0 && dims[0] % blockSize != 0) || count % blockSize != 0)
        {
            throw new ModelFormatException(file, name, $"first dimension {(dims.Length > 0 ? dims[0] : 1)} is not a multiple of the {type} block size {blockSize}");
        }
        long bytes;
        try
        {
            bytes = checked(count / blockSize * typeSize);
        }
        catch (OverflowException)
        {
            throw new ModelFormatException(file, name, $"{count} elements of {type} overflow a 64-bit byte count");
        }
        if (offset % (ulong)alignment != 0)
        {
            throw new ModelFormatException(file, name, $"data offset {offset} is not a multiple of the alignment {alignment}");
        }
        long available = fileLength - dataOffset;
        if (offset > (ulong)Math.Max(0, available) || bytes > available - (long)offset)
        {
            throw new ModelFormatException(file, name, $"data [{offset}, {offset} + {bytes}) lies beyond the end of the file (data section holds {Math.Max(0, available)} bytes)");
        }
        long[] shape = dims.Reverse().ToArray();
        string? unreadable = GgmlTypes.IsPlain(type) || GgmlTypes.CanDequantize(type) ? null : $"ggml type {type} cannot be dequantized by this reader";
        var info = new TensorInfo(name, GgmlTypes.LogicalDType(type), shape, file, dataOffset + (long)offset, bytes, Unreadable: unreadable);
        return new GgufTensor(info, type, dims);
    }

    private static int AlignmentOf(GgufCursor c, Dictionary<string, GgufValue> metadata)
    {
        if (!metadata.TryGetValue("general.alignment", out var v))
        {
            return DefaultAlignment;
        }
        long? a = v.AsInteger();
        if (a is not { } value || value <= 0 || value > MaxAlignment || (value & (value - 1)) != 0)
        {
            throw c.Error($"general.alignment {v.Value ?? v.Type} is not a power of two between 1 and {MaxAlignment}");
        }
        return (int)value;
    }

    private static long AlignUp(long position, int alignment) => (position + alignment - 1) / alignment * alignment;

    private static GgufValue ReadValue(GgufCursor c, uint typeId, string key, int depth)
    {
        var type = (GgufValueType)typeId;
        string what = $"value of metadata '{key}'";
        switch (type)
        {
            case GgufValueType.UInt8: return new(type, c.U8(what));
            case GgufValueType.Int8: return new(type, (sbyte)c.U8(what));
            case GgufValueType.UInt16: return new(type, c.U16(what));
            case GgufValueType.Int16: return new(type, (short)c.U16(what));
            case GgufValueType.UInt32: return new(type, c.U32(what));
            case GgufValueType.Int32: return new(type, (int)c.U32(what));
            case GgufValueType.Float32: return new(type, c.F32(what));
            case GgufValueType.Bool: return new(type, c.U8(what) != 0);
            case GgufValueType.String: return new(type, c.String(what, MaxStringBytes));
            case GgufValueType.UInt64: return new(type, c.U64(what));
            case GgufValueType.Int64: return new(type, (long)c.U64(what));
            case GgufValueType.Float64: return new(type, c.F64(what));
            case GgufValueType.Array: return ReadArray(c, key, depth);
            default: throw c.Error($"metadata '{key}' has unknown value type {typeId}");
        }
    }

    private static GgufValue ReadArray(GgufCursor c, string key, int depth)
    {
        if (depth >= MaxArrayDepth)
        {
            throw c.Error($"metadata '{key}' nests arrays more than {MaxArrayDepth} deep");
        }
        uint elementId = c.U32($"element type of metadata array '{key}'");
        var elementType = (GgufValueType)elementId;
        ulong n = c.U64($"length of metadata array '{key}'");
        int size = GgufValue.ScalarSize(elementType);
        // Strings take at least 8 bytes (their length), nested arrays at least 12.
        int minimum = size > 0 ? size : elementType == GgufValueType.String ? 8 : elementType == GgufValueType.Array ? 12 : 0;
        if (minimum == 0)
        {
            throw c.Error($"metadata array '{key}' has unknown element type {elementId}");
        }
        if (n > (ulong)(c.Remaining / minimum))
        {
            throw c.Error($"metadata array '{key}' claims {n} elements, more than the {c.Remaining} remaining bytes can hold");
        }
        long length = (long)n;
        bool keep = length <= MaxKeptArrayElements && elementType != GgufValueType.Array;
        if (!keep && size > 0)
        {
            c.Skip(length * size, $"metadata array '{key}'");
            return new GgufValue(GgufValueType.Array, null, elementType, length);
        }
        var kept = keep ? new object?[length] : null;
        for (long i = 0; i < length; i++)
        {
            if (kept is not null)
            {
                kept[i] = ReadValue(c, elementId, key, depth + 1).Value;
            }
            else if (elementType == GgufValueType.String)
            {
                c.SkipString($"element {i} of metadata array '{key}'");
            }
            else
            {
                ReadArray(c, key, depth + 1);
            }
        }
        return new GgufValue(GgufValueType.Array, kept, elementType, length);
    }
}
