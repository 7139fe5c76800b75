using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.Onnx;

/// <summary>
/// Turns a scanned initializer into a <see cref="TensorInfo"/> whose bytes can be read: checks dims,
/// data type and that the values present (external file, <c>raw_data</c> or a typed field, in that order
/// of precedence, as onnx's <c>numpy_helper.to_array</c> uses them) match the shape.
/// </summary>
internal static class OnnxTensorResolver
{
    /// <summary>
    /// The tensor of <paramref name="init"/>, and its typed field when the values are not a plain byte range;
    /// (null, null) when its data type cannot be widened to double (string, complex, 8- and 4-bit types).
    /// </summary>
    /// <exception cref="ModelFormatException">The initializer is inconsistent.</exception>
    public static (TensorInfo? Tensor, OnnxTypedField? Typed) Resolve(string file, OnnxInitializer init, FileRangeReader io)
    {
        if (OnnxDataTypes.ToDType(init.DataType) is not { } dtype)
        {
            return (null, null);
        }
        string name = init.DisplayName;
        var shape = init.Dims.ToArray();
        string shapeText = "(" + string.Join(", ", shape) + ")";
        if (shape.Any(d => d < 0))
        {
            throw new ModelFormatException(file, name, $"dims {shapeText} has a negative dimension");
        }
        long count = TensorInfo.CountElements(shape);
        int size = DTypes.SizeOf(dtype);
        if (count < 0 || count > long.MaxValue / size)
        {
            throw new ModelFormatException(file, name, $"dims {shapeText} overflow a 64-bit byte count");
        }
        if (init.HasSegment)
        {
            throw new ModelFormatException(file, name, "segmented tensors (TensorProto.segment) are not supported");
        }
        long needed = count * size;
        string typeName = OnnxDataTypes.Name(init.DataType);
        if (init.IsExternal)
        {
            var (path, offset) = OnnxExternalData.Resolve(file, init, needed, io);
            return (new TensorInfo(init.Name, dtype, shape, path, offset, needed), null);
        }
        if (init.RawData is { } raw)
        {
            if (raw.Length != needed)
            {
                throw new ModelFormatException(file, name, $"raw_data holds {raw.Length} bytes, but {typeName} dims {shapeText} need {needed}");
            }
            return (new TensorInfo(init.Name, dtype, shape, file, raw.Offset, needed), null);
        }
        int field = OnnxDataTypes.TypedField(dtype);
        if (init.Typed.TryGetValue(field, out var typed))
        {
            if (typed.Count != count)
            {
                throw new ModelFormatException(file, name, $"{OnnxDataTypes.FieldName(field)} holds {typed.Count} values, but {typeName} dims {shapeText} need {count}");
            }
            if (typed.Occurrences == 1 && typed.PackedData is { } packed && packed.Length == needed)
            {
                // One packed float_data / double_data run: little-endian elements, read like raw_data.
                return (new TensorInfo(init.Name, dtype, shape, file, packed.Offset, needed), null);
            }
            return (new TensorInfo(init.Name, dtype, shape, file, typed.Regions[0].Start, needed), typed);
        }
        if (count == 0)
        {
            return (new TensorInfo(init.Name, dtype, shape, file, 0, 0), null);
        }
        throw new ModelFormatException(file, name, $"{typeName} dims {shapeText} need {count} values, but the initializer holds none (no raw_data, {OnnxDataTypes.FieldName(field)} or external data)");
    }
}
