namespace WeightWatcher.Core.Formats.Gguf;

/// <summary>The value types of GGUF metadata (<c>enum gguf_type</c>), with their stored ids.</summary>
public enum GgufValueType : uint
{
    /// <summary>uint8.</summary>
    UInt8 = 0,
    /// <summary>int8.</summary>
    Int8 = 1,
    /// <summary>uint16.</summary>
    UInt16 = 2,
    /// <summary>int16.</summary>
    Int16 = 3,
    /// <summary>uint32.</summary>
    UInt32 = 4,
    /// <summary>int32.</summary>
    Int32 = 5,
    /// <summary>float32.</summary>
    Float32 = 6,
    /// <summary>One byte, 0 or 1.</summary>
    Bool = 7,
    /// <summary>uint64 length then UTF-8 bytes.</summary>
    String = 8,
    /// <summary>uint32 element type, uint64 count, then the elements.</summary>
    Array = 9,
    /// <summary>uint64.</summary>
    UInt64 = 10,
    /// <summary>int64.</summary>
    Int64 = 11,
    /// <summary>float64.</summary>
    Float64 = 12,
}

/// <summary>
/// One metadata value. Scalars are boxed .NET values (byte, sbyte, ushort, short, uint, int, float, bool,
/// string, ulong, long, double). Arrays keep their element type and length; their elements are kept
/// (as <c>object?[]</c>) only when the array is short (<see cref="GgufHeader.MaxKeptArrayElements"/>) and
/// not nested, otherwise <see cref="Value"/> is null and the elements were skipped.
/// </summary>
/// <param name="Type">The stored type.</param>
/// <param name="Value">The value, the kept array elements, or null for a skipped array.</param>
/// <param name="ElementType">For arrays, the element type.</param>
/// <param name="Length">For arrays, the element count.</param>
public sealed record GgufValue(GgufValueType Type, object? Value, GgufValueType? ElementType = null, long Length = 0)
{
    /// <summary>The value as a 64-bit integer, when it is an integer type; otherwise null.</summary>
    public long? AsInteger() => Value switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        _ => null,
    };

    /// <summary>Size in bytes of one stored scalar of <paramref name="type"/>, or 0 for strings and arrays.</summary>
    public static int ScalarSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };
}
