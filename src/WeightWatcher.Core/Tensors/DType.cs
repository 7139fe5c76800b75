namespace WeightWatcher.Core.Tensors;

/// <summary>Element types that model files store. All arithmetic is done in double after widening.</summary>
public enum DType
{
    /// <summary>IEEE 754 binary64.</summary>
    F64,
    /// <summary>IEEE 754 binary32.</summary>
    F32,
    /// <summary>IEEE 754 binary16.</summary>
    F16,
    /// <summary>bfloat16: the top 16 bits of a binary32.</summary>
    BF16,
    /// <summary>Signed 64-bit integer (e.g. batch-norm counters).</summary>
    I64,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Unsigned 16-bit integer.</summary>
    U16,
    /// <summary>Unsigned 32-bit integer.</summary>
    U32,
    /// <summary>Unsigned 64-bit integer.</summary>
    U64,
    /// <summary>One byte per boolean.</summary>
    Bool,
}

/// <summary>Sizes, names and classification of <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(DType t) => t switch
    {
        DType.F64 or DType.I64 or DType.U64 => 8,
        DType.F32 or DType.I32 or DType.U32 => 4,
        DType.F16 or DType.BF16 or DType.I16 or DType.U16 => 2,
        DType.I8 or DType.U8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>True for floating-point types, the only ones whose tensors are analyzed.</summary>
    public static bool IsFloatingPoint(DType t) => t is DType.F64 or DType.F32 or DType.F16 or DType.BF16;

    /// <summary>The safetensors spelling ("F32", "BF16", ...) of a type, or null if it has none.</summary>
    public static DType? FromSafetensors(string name) => name switch
    {
        "F64" => DType.F64,
        "F32" => DType.F32,
        "F16" => DType.F16,
        "BF16" => DType.BF16,
        "I64" => DType.I64,
        "I32" => DType.I32,
        "I16" => DType.I16,
        "I8" => DType.I8,
        "U8" => DType.U8,
        "U16" => DType.U16,
        "U32" => DType.U32,
        "U64" => DType.U64,
        "BOOL" => DType.Bool,
        _ => null,
    };

    /// <summary>The safetensors spelling of a type.</summary>
    public static string ToSafetensors(DType t) => t == DType.Bool ? "BOOL" : t.ToString().ToUpperInvariant();

    /// <summary>Lower-case display name (float32, bfloat16, int64 ...).</summary>
    public static string DisplayName(DType t) => t switch
    {
        DType.F64 => "float64",
        DType.F32 => "float32",
        DType.F16 => "float16",
        DType.BF16 => "bfloat16",
        DType.I64 => "int64",
        DType.I32 => "int32",
        DType.I16 => "int16",
        DType.I8 => "int8",
        DType.U8 => "uint8",
        DType.U16 => "uint16",
        DType.U32 => "uint32",
        DType.U64 => "uint64",
        DType.Bool => "bool",
        _ => t.ToString(),
    };
}
