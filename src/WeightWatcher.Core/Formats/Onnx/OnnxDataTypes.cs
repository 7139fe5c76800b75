using WeightWatcher.Core.Formats.Onnx.Proto;
using WeightWatcher.Core.Tensors;
using OnnxType = WeightWatcher.Core.Formats.Onnx.Proto.TensorProto.Types.DataType;

namespace WeightWatcher.Core.Formats.Onnx;

/// <summary>
/// ONNX <c>TensorProto.data_type</c> codes: which <see cref="DType"/> each maps to, and which typed field
/// of the TensorProto holds the values when there is no <c>raw_data</c>.
/// </summary>
internal static class OnnxDataTypes
{
    /// <summary>The element type of an ONNX data type code, or null when this reader cannot widen it to double.</summary>
    public static DType? ToDType(int dataType) => (OnnxType)dataType switch
    {
        OnnxType.Float => DType.F32,
        OnnxType.Double => DType.F64,
        OnnxType.Float16 => DType.F16,
        OnnxType.Bfloat16 => DType.BF16,
        OnnxType.Int8 => DType.I8,
        OnnxType.Uint8 => DType.U8,
        OnnxType.Int16 => DType.I16,
        OnnxType.Uint16 => DType.U16,
        OnnxType.Int32 => DType.I32,
        OnnxType.Uint32 => DType.U32,
        OnnxType.Int64 => DType.I64,
        OnnxType.Uint64 => DType.U64,
        OnnxType.Bool => DType.Bool,
        _ => null,
    };

    /// <summary>The ONNX spelling of a data type code, for messages.</summary>
    public static string Name(int dataType) =>
        Enum.IsDefined((OnnxType)dataType) ? ((OnnxType)dataType).ToString().ToUpperInvariant() : $"data_type {dataType}";

    /// <summary>
    /// The TensorProto field that holds the values of <paramref name="type"/> when they are not in
    /// <c>raw_data</c>: float_data for float32, double_data for float64, int64_data for int64, uint64_data
    /// for uint32/uint64, and int32_data for every narrower type (float16 and bfloat16 as their bit patterns).
    /// </summary>
    public static int TypedField(DType type) => type switch
    {
        DType.F32 => TensorProto.FloatDataFieldNumber,
        DType.F64 => TensorProto.DoubleDataFieldNumber,
        DType.I64 => TensorProto.Int64DataFieldNumber,
        DType.U32 or DType.U64 => TensorProto.Uint64DataFieldNumber,
        _ => TensorProto.Int32DataFieldNumber,
    };

    /// <summary>The schema name of a typed TensorProto field, for messages.</summary>
    public static string FieldName(int field) => field switch
    {
        TensorProto.FloatDataFieldNumber => "float_data",
        TensorProto.DoubleDataFieldNumber => "double_data",
        TensorProto.Int64DataFieldNumber => "int64_data",
        TensorProto.Uint64DataFieldNumber => "uint64_data",
        TensorProto.Int32DataFieldNumber => "int32_data",
        _ => $"field {field}",
    };

    /// <summary>True when the typed field's values are fixed-width (float_data, double_data) rather than varints.</summary>
    public static bool IsFixedWidth(int field) => field is TensorProto.FloatDataFieldNumber or TensorProto.DoubleDataFieldNumber;
}
