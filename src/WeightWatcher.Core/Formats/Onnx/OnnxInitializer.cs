using WeightWatcher.Core.Formats.Onnx.Proto;

namespace WeightWatcher.Core.Formats.Onnx;

/// <summary>
/// One <c>graph.initializer</c> entry as found by <see cref="OnnxModelScanner"/>: its metadata and where
/// its values lie in the model file, without the values themselves.
/// </summary>
internal sealed class OnnxInitializer
{
    /// <summary>Position in <c>graph.initializer</c> (the reference's layer id).</summary>
    public int Index { get; init; }

    /// <summary>The <c>name</c> field (empty when absent).</summary>
    public string Name { get; set; } = "";

    /// <summary>The <c>data_type</c> code (0, UNDEFINED, when absent).</summary>
    public int DataType { get; set; }

    /// <summary>The <c>dims</c> field.</summary>
    public List<long> Dims { get; } = [];

    /// <summary>Absolute byte range of the <c>raw_data</c> bytes in the model file, when present (the last occurrence wins).</summary>
    public (long Offset, long Length)? RawData { get; set; }

    /// <summary>The typed value fields present (float_data, int32_data, ...), by field number.</summary>
    public Dictionary<int, OnnxTypedField> Typed { get; } = [];

    /// <summary>The <c>external_data</c> key/value entries.</summary>
    public List<StringStringEntryProto> ExternalData { get; } = [];

    /// <summary>The <c>data_location</c> field (1 = EXTERNAL).</summary>
    public int DataLocation { get; set; }

    /// <summary>True when the tensor is one segment of a larger one (not supported, as in onnx's numpy_helper).</summary>
    public bool HasSegment { get; set; }

    /// <summary>The name for messages: the initializer name, or its index when it has none.</summary>
    public string DisplayName => Name.Length > 0 ? Name : $"initializer #{Index}";

    /// <summary>True when <see cref="DataLocation"/> says the bytes are in an external file.</summary>
    public bool IsExternal => DataLocation == (int)TensorProto.Types.DataLocation.External;
}

/// <summary>
/// Where a repeated typed field (float_data, int32_data ...) of one initializer lies: the byte ranges of the
/// file holding its occurrences (tags included; packed or not) and the number of values they hold.
/// </summary>
internal sealed class OnnxTypedField
{
    /// <summary>Creates an empty field record.</summary>
    public OnnxTypedField(int fieldNumber)
    {
        FieldNumber = fieldNumber;
    }

    /// <summary>The TensorProto field number.</summary>
    public int FieldNumber { get; }

    /// <summary>Absolute [start, end) ranges of consecutive occurrences of the field.</summary>
    public List<(long Start, long End)> Regions { get; } = [];

    /// <summary>Number of values in all occurrences.</summary>
    public long Count { get; set; }

    /// <summary>Number of occurrences of the field (one per value when unpacked).</summary>
    public long Occurrences { get; private set; }

    /// <summary>
    /// For a packed fixed-width field (float_data, double_data) seen once: the byte range of its values,
    /// which are then plain little-endian elements that can be read like <c>raw_data</c>.
    /// </summary>
    public (long Offset, long Length)? PackedData { get; set; }

    /// <summary>Records one occurrence spanning [start, end), merging it with the previous one when adjacent.</summary>
    public void Add(long start, long end, long values)
    {
        Occurrences++;
        if (Regions.Count > 0 && Regions[^1].End == start)
        {
            Regions[^1] = (Regions[^1].Start, end);
        }
        else
        {
            Regions.Add((start, end));
        }
        Count += values;
    }
}
