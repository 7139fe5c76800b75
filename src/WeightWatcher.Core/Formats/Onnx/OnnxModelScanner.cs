using Google.Protobuf;
using Google.Protobuf.Reflection;
using WeightWatcher.Core.Formats.Onnx.Proto;

namespace WeightWatcher.Core.Formats.Onnx;

/// <summary>
/// Walks an ONNX <c>ModelProto</c> file with <see cref="CodedInputStream"/> and records, for each entry of
/// <c>graph.initializer</c>, its name, dims, data_type and the byte ranges of its values. Tensor bytes are
/// skipped, never copied, so opening costs memory proportional to the number of tensors only.
/// </summary>
internal static class OnnxModelScanner
{
    /// <summary>Protobuf messages cannot exceed 2 GiB; larger ONNX models keep their weights in external files.</summary>
    public const long MaxModelFileBytes = int.MaxValue;

    /// <summary>Scans <paramref name="file"/>; <paramref name="io"/> re-reads the few bytes of length prefixes.</summary>
    /// <exception cref="ModelFormatException">The file is not a well-formed ModelProto.</exception>
    public static List<OnnxInitializer> Scan(string file, FileRangeReader io)
    {
        var model = new ModelVisitor(file, io);
        try
        {
            long length = io.Length(file);
            if (length > MaxModelFileBytes)
            {
                throw new ModelFormatException(file, null, $"file is {length} bytes, larger than the 2 GiB protobuf limit (large ONNX models keep their weights as external data)");
            }
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, System.IO.FileOptions.SequentialScan);
            using var input = new CodedInputStream(stream, leaveOpen: true);
            model.MergeFrom(input);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException)
        {
            var at = model.Graph.Current;
            throw new ModelFormatException(file, at?.DisplayName, $"not a valid ONNX protobuf{(at is null ? "" : " inside this initializer")}: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(file, model.Graph.Current?.DisplayName, $"cannot read: {e.Message}", e);
        }
        if (!model.GraphSeen)
        {
            throw new ModelFormatException(file, null, "ONNX model has no graph");
        }
        return model.Graph.Initializers;
    }

    private static uint Tag(int field, WireFormat.WireType type) => WireFormat.MakeTag(field, type);

    /// <summary>ModelProto: only <c>graph</c> is entered.</summary>
    private sealed class ModelVisitor(string file, FileRangeReader io) : OnnxWireVisitor
    {
        public GraphVisitor Graph { get; } = new(file, io);

        public bool GraphSeen { get; private set; }

        public override MessageDescriptor Descriptor => ModelProto.Descriptor;

        public override void MergeFrom(CodedInputStream input)
        {
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (tag == Tag(ModelProto.GraphFieldNumber, WireFormat.WireType.LengthDelimited))
                {
                    GraphSeen = true;
                    input.ReadMessage(Graph);
                }
                else
                {
                    input.SkipLastField();
                }
            }
        }
    }

    /// <summary>GraphProto: only <c>initializer</c> entries are entered, in order.</summary>
    private sealed class GraphVisitor(string file, FileRangeReader io) : OnnxWireVisitor
    {
        private readonly TensorVisitor _tensor = new(file, io);

        public List<OnnxInitializer> Initializers { get; } = [];

        /// <summary>The initializer being read, for error messages.</summary>
        public OnnxInitializer? Current { get; private set; }

        public override MessageDescriptor Descriptor => GraphProto.Descriptor;

        public override void MergeFrom(CodedInputStream input)
        {
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (tag != Tag(GraphProto.InitializerFieldNumber, WireFormat.WireType.LengthDelimited))
                {
                    input.SkipLastField();
                    continue;
                }
                if (Initializers.Count >= ReaderLimits.MaxTensorCount)
                {
                    throw new InvalidDataException($"more than {ReaderLimits.MaxTensorCount} initializers");
                }
                Current = new OnnxInitializer { Index = Initializers.Count };
                Initializers.Add(Current);
                _tensor.Target = Current;
                input.ReadMessage(_tensor);
                Current = null;
            }
        }
    }

    /// <summary>TensorProto: metadata fields are read, value fields are located and skipped.</summary>
    private sealed class TensorVisitor(string file, FileRangeReader io) : OnnxWireVisitor
    {
        private readonly OnnxPackedValues _packed = new();
        private readonly OnnxPackedDims _dims = new();

        public OnnxInitializer Target { get; set; } = new();

        public override MessageDescriptor Descriptor => TensorProto.Descriptor;

        public override void MergeFrom(CodedInputStream input)
        {
            var t = Target;
            while (true)
            {
                long start = input.Position;
                uint tag = input.ReadTag();
                if (tag == 0)
                {
                    break;
                }
                int field = WireFormat.GetTagFieldNumber(tag);
                var wire = WireFormat.GetTagWireType(tag);
                switch (field)
                {
                    case TensorProto.DimsFieldNumber when wire == WireFormat.WireType.Varint:
                        t.Dims.Add(input.ReadInt64());
                        if (t.Dims.Count > ReaderLimits.MaxRank)
                        {
                            throw new InvalidDataException($"more than {ReaderLimits.MaxRank} dims");
                        }
                        break;
                    case TensorProto.DimsFieldNumber when wire == WireFormat.WireType.LengthDelimited:
                        _dims.Target = t.Dims;
                        input.ReadMessage(_dims);
                        break;
                    case TensorProto.DataTypeFieldNumber when wire == WireFormat.WireType.Varint:
                        t.DataType = input.ReadInt32();
                        break;
                    case TensorProto.DataLocationFieldNumber when wire == WireFormat.WireType.Varint:
                        t.DataLocation = input.ReadInt32();
                        break;
                    case TensorProto.NameFieldNumber when wire == WireFormat.WireType.LengthDelimited:
                        t.Name = input.ReadString();
                        break;
                    case TensorProto.SegmentFieldNumber when wire == WireFormat.WireType.LengthDelimited:
                        t.HasSegment = true;
                        input.SkipLastField();
                        break;
                    case TensorProto.ExternalDataFieldNumber when wire == WireFormat.WireType.LengthDelimited:
                        var entry = new StringStringEntryProto();
                        input.ReadMessage(entry);
                        t.ExternalData.Add(entry);
                        break;
                    case TensorProto.RawDataFieldNumber when wire == WireFormat.WireType.LengthDelimited:
                        long afterTag = input.Position;
                        input.SkipLastField();
                        t.RawData = LocateBytes(afterTag, input.Position);
                        break;
                    case TensorProto.FloatDataFieldNumber or TensorProto.Int32DataFieldNumber or TensorProto.Int64DataFieldNumber
                        or TensorProto.DoubleDataFieldNumber or TensorProto.Uint64DataFieldNumber:
                        ReadTyped(input, t, field, wire, start);
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }
        }

        private void ReadTyped(CodedInputStream input, OnnxInitializer t, int field, WireFormat.WireType wire, long start)
        {
            long count;
            if (wire == WireFormat.WireType.LengthDelimited)
            {
                _packed.Reset(field);
                input.ReadMessage(_packed);
                count = _packed.Count;
            }
            else if (wire == UnpackedWireType(field))
            {
                ReadValue(input, field, Tensors.DType.F64);
                count = 1;
            }
            else
            {
                // A wrong wire type for a known field is an unknown field to protobuf parsers.
                input.SkipLastField();
                return;
            }
            if (!t.Typed.TryGetValue(field, out var typed))
            {
                typed = new OnnxTypedField(field);
                t.Typed[field] = typed;
            }
            typed.Add(start, input.Position, count);
            if (wire == WireFormat.WireType.LengthDelimited && OnnxDataTypes.IsFixedWidth(field))
            {
                // Packed fixed-width values end the occurrence: count x width bytes just before its end.
                long bytes = count * (field == TensorProto.FloatDataFieldNumber ? 4 : 8);
                typed.PackedData = (input.Position - bytes, bytes);
            }
        }

        /// <summary>
        /// The data range of a length-delimited field that ran from just after its tag to <paramref name="end"/>:
        /// the length prefix is re-read from the file to learn its size (a varint of 1 to 5 bytes).
        /// </summary>
        private (long Offset, long Length) LocateBytes(long afterTag, long end)
        {
            Span<byte> prefix = stackalloc byte[(int)Math.Min(10, end - afterTag)];
            io.ReadExactly(file, afterTag, prefix);
            var lengthInput = new CodedInputStream(prefix.ToArray());
            int length = lengthInput.ReadLength();
            long offset = afterTag + lengthInput.Position;
            if (length < 0 || offset + length != end)
            {
                throw new InvalidDataException($"raw_data length prefix at byte {afterTag} does not match the bytes skipped");
            }
            return (offset, length);
        }
    }
}
