using Google.Protobuf;
using Google.Protobuf.Reflection;
using WeightWatcher.Core.Formats.Onnx.Proto;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.Onnx;

/// <summary>
/// A protobuf message that is walked rather than materialised: <see cref="CodedInputStream.ReadMessage"/>
/// delimits the nested message (pushes its length as a limit) and hands it to <see cref="MergeFrom"/>, which
/// reads tags until the limit. This lets the reader skip tensor bytes instead of copying them into memory.
/// </summary>
internal abstract class OnnxWireVisitor : IMessage
{
    /// <inheritdoc />
    public abstract MessageDescriptor Descriptor { get; }

    /// <inheritdoc />
    public abstract void MergeFrom(CodedInputStream input);

    /// <inheritdoc />
    public void WriteTo(CodedOutputStream output) => throw new NotSupportedException("a wire visitor only reads");

    /// <inheritdoc />
    public int CalculateSize() => throw new NotSupportedException("a wire visitor only reads");

    /// <summary>Reads one value of a typed TensorProto field and widens it to double as <paramref name="type"/> requires.</summary>
    public static double ReadValue(CodedInputStream input, int field, DType type)
    {
        switch (field)
        {
            case TensorProto.FloatDataFieldNumber:
                return input.ReadFloat();
            case TensorProto.DoubleDataFieldNumber:
                return input.ReadDouble();
            case TensorProto.Int64DataFieldNumber:
                return input.ReadInt64();
            case TensorProto.Uint64DataFieldNumber:
                return input.ReadUInt64();
            default:
                int v = input.ReadInt32();
                return type switch
                {
                    // float16 and bfloat16 values are stored as their 16-bit patterns in the low bits.
                    DType.F16 => (double)BitConverter.UInt16BitsToHalf((ushort)v),
                    DType.BF16 => BitConverter.UInt32BitsToSingle((uint)(ushort)v << 16),
                    DType.Bool => v != 0 ? 1 : 0,
                    _ => v,
                };
        }
    }

    /// <summary>The wire type of one unpacked value of a typed field.</summary>
    public static WireFormat.WireType UnpackedWireType(int field) => field switch
    {
        TensorProto.FloatDataFieldNumber => WireFormat.WireType.Fixed32,
        TensorProto.DoubleDataFieldNumber => WireFormat.WireType.Fixed64,
        _ => WireFormat.WireType.Varint,
    };
}

/// <summary>
/// The values of one packed occurrence of a typed field: counts them, and, when given a destination,
/// stores them widened to double.
/// </summary>
internal sealed class OnnxPackedValues : OnnxWireVisitor
{
    private int _field;
    private DType _type;
    private double[]? _destination;
    private long _next;

    /// <inheritdoc />
    public override MessageDescriptor Descriptor => TensorProto.Descriptor;

    /// <summary>Values read by the last <see cref="MergeFrom"/> (or stored so far, when decoding).</summary>
    public long Count { get; private set; }

    /// <summary>Prepares to count the values of <paramref name="field"/>.</summary>
    public void Reset(int field)
    {
        _field = field;
        _type = DType.F64;
        _destination = null;
        Count = 0;
    }

    /// <summary>Prepares to store values of <paramref name="field"/> into <paramref name="destination"/> from index <paramref name="next"/>.</summary>
    public void Reset(int field, DType type, double[] destination, long next)
    {
        _field = field;
        _type = type;
        _destination = destination;
        _next = next;
        Count = 0;
    }

    /// <inheritdoc />
    public override void MergeFrom(CodedInputStream input)
    {
        while (!input.IsAtEnd)
        {
            double v = ReadValue(input, _field, _type);
            if (_destination is not null)
            {
                if (_next >= _destination.Length)
                {
                    throw new InvalidDataException($"{OnnxDataTypes.FieldName(_field)} holds more values than the shape");
                }
                _destination[_next++] = v;
            }
            Count++;
        }
        // At the limit ReadTag returns 0 and clears the last tag, which ReadMessage checks.
        input.ReadTag();
    }
}

/// <summary>A packed <c>dims</c> occurrence: appends the dimensions to a list.</summary>
internal sealed class OnnxPackedDims : OnnxWireVisitor
{
    /// <inheritdoc />
    public override MessageDescriptor Descriptor => TensorProto.Descriptor;

    /// <summary>The list the dimensions are appended to.</summary>
    public List<long> Target { get; set; } = [];

    /// <inheritdoc />
    public override void MergeFrom(CodedInputStream input)
    {
        while (!input.IsAtEnd)
        {
            Target.Add(input.ReadInt64());
            if (Target.Count > ReaderLimits.MaxRank)
            {
                throw new InvalidDataException($"more than {ReaderLimits.MaxRank} dims");
            }
        }
        input.ReadTag();
    }
}
