using Google.Protobuf;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.Onnx;

/// <summary>
/// Reads the values of an initializer kept in a typed field (float_data, int32_data, ...), packed or not,
/// by streaming the field's byte ranges from the file through <see cref="CodedInputStream"/>.
/// </summary>
internal static class OnnxTypedDataDecoder
{
    /// <summary>Decodes the <paramref name="typed"/> values of <paramref name="tensor"/>, widened to double.</summary>
    /// <exception cref="ModelFormatException">The bytes no longer hold the values found when the model was opened.</exception>
    public static double[] Decode(TensorInfo tensor, OnnxTypedField typed)
    {
        long count = TensorReads.PlainElementCount(tensor);
        var result = new double[count];
        long next = 0;
        var packed = new OnnxPackedValues();
        var unpacked = OnnxWireVisitor.UnpackedWireType(typed.FieldNumber);
        try
        {
            using var stream = new FileStream(tensor.SourceFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            foreach (var (start, end) in typed.Regions)
            {
                stream.Position = start;
                // For a stream, CodedInputStream.Position is the stream's position: absolute in the file.
                using var input = new CodedInputStream(stream, leaveOpen: true);
                while (input.Position < end)
                {
                    uint tag = input.ReadTag();
                    var wire = WireFormat.GetTagWireType(tag);
                    if (WireFormat.GetTagFieldNumber(tag) != typed.FieldNumber)
                    {
                        throw new InvalidDataException($"unexpected field {WireFormat.GetTagFieldNumber(tag)} where {OnnxDataTypes.FieldName(typed.FieldNumber)} was found at open");
                    }
                    if (wire == WireFormat.WireType.LengthDelimited)
                    {
                        packed.Reset(typed.FieldNumber, tensor.DType, result, next);
                        input.ReadMessage(packed);
                        next += packed.Count;
                    }
                    else if (wire == unpacked)
                    {
                        if (next >= count)
                        {
                            throw new InvalidDataException($"{OnnxDataTypes.FieldName(typed.FieldNumber)} holds more values than the shape");
                        }
                        result[next++] = OnnxWireVisitor.ReadValue(input, typed.FieldNumber, tensor.DType);
                    }
                    else
                    {
                        input.SkipLastField();
                    }
                }
            }
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(tensor.SourceFile, tensor.Name, $"cannot decode {OnnxDataTypes.FieldName(typed.FieldNumber)}: {e.Message}", e);
        }
        if (next != count)
        {
            throw new ModelFormatException(tensor.SourceFile, tensor.Name, $"{OnnxDataTypes.FieldName(typed.FieldNumber)} holds {next} values, but shape {tensor.ShapeText} needs {count} (the file changed since it was opened?)");
        }
        return result;
    }
}
