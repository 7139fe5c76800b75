using System.Buffers.Binary;
using Google.Protobuf;
using WeightWatcher.Core.Formats.Onnx.Proto;
using DataType = WeightWatcher.Core.Formats.Onnx.Proto.TensorProto.Types.DataType;

namespace WeightWatcher.Core.Tests.Formats.Onnx;

/// <summary>Small ONNX models for the reader tests, written with the generated protobuf types.</summary>
internal static class OnnxFixtures
{
    /// <summary>Deterministic values, distinct per seed, exactly representable in float16 and bfloat16.</summary>
    public static float[] Values(int count, int seed) =>
        Enumerable.Range(0, count).Select(i => (float)(((i * 7 + seed * 13) % 31) - 15) / 8f).ToArray();

    /// <summary>A model whose graph holds <paramref name="initializers"/> in order.</summary>
    public static ModelProto Model(params TensorProto[] initializers)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.AddRange(initializers);
        graph.Node.Add(new NodeProto { OpType = "Identity", Input = { "x" }, Output = { "y" }, Name = "n0" });
        var model = new ModelProto { IrVersion = 9, ProducerName = "ww-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> and returns the path.</summary>
    public static string Write(string path, ModelProto model)
    {
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    /// <summary>A float32 initializer with little-endian raw_data.</summary>
    public static TensorProto RawFloat(string name, long[] dims, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }
        return Tensor(name, dims, DataType.Float, raw: bytes);
    }

    /// <summary>A float16 initializer with raw_data.</summary>
    public static TensorProto RawHalf(string name, long[] dims, float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
        }
        return Tensor(name, dims, DataType.Float16, raw: bytes);
    }

    /// <summary>A bfloat16 initializer with raw_data (values truncated to their top 16 bits).</summary>
    public static TensorProto RawBFloat16(string name, long[] dims, float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), BFloat16Bits(values[i]));
        }
        return Tensor(name, dims, DataType.Bfloat16, raw: bytes);
    }

    /// <summary>The bfloat16 bit pattern of a float (truncation; exact for the test values).</summary>
    public static ushort BFloat16Bits(float v) => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16);

    /// <summary>An initializer of <paramref name="type"/> with the given raw bytes (no check).</summary>
    public static TensorProto Tensor(string name, long[] dims, DataType type, byte[]? raw = null)
    {
        var t = new TensorProto { Name = name, DataType = (int)type };
        t.Dims.AddRange(dims);
        if (raw is not null)
        {
            t.RawData = ByteString.CopyFrom(raw);
        }
        return t;
    }

    /// <summary>An initializer stored in an external file.</summary>
    public static TensorProto External(string name, long[] dims, DataType type, string location, long? offset, long? length)
    {
        var t = Tensor(name, dims, type);
        t.DataLocation = TensorProto.Types.DataLocation.External;
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is { } o)
        {
            t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = o.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
        if (length is { } l)
        {
            t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = l.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
        return t;
    }

    /// <summary>Little-endian float32 bytes.</summary>
    public static byte[] FloatBytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }
        return bytes;
    }

    /// <summary>
    /// A model written field by field with <see cref="CodedOutputStream"/>, so that a float_data field can be
    /// stored unpacked (one tag per value), which the generated serializer never does.
    /// </summary>
    public static byte[] UnpackedFloatModel(string name, long[] dims, float[] values)
    {
        var tensor = new MemoryStream();
        var t = new CodedOutputStream(tensor);
        foreach (var d in dims)
        {
            t.WriteTag(TensorProto.DimsFieldNumber, WireFormat.WireType.Varint);
            t.WriteInt64(d);
        }
        t.WriteTag(TensorProto.DataTypeFieldNumber, WireFormat.WireType.Varint);
        t.WriteInt32((int)DataType.Float);
        foreach (var v in values)
        {
            t.WriteTag(TensorProto.FloatDataFieldNumber, WireFormat.WireType.Fixed32);
            t.WriteFloat(v);
        }
        t.WriteTag(TensorProto.NameFieldNumber, WireFormat.WireType.LengthDelimited);
        t.WriteString(name);
        t.Flush();

        var graph = new MemoryStream();
        var g = new CodedOutputStream(graph);
        g.WriteTag(GraphProto.InitializerFieldNumber, WireFormat.WireType.LengthDelimited);
        g.WriteBytes(ByteString.CopyFrom(tensor.ToArray()));
        g.Flush();

        var model = new MemoryStream();
        var m = new CodedOutputStream(model);
        m.WriteTag(ModelProto.IrVersionFieldNumber, WireFormat.WireType.Varint);
        m.WriteInt64(8);
        m.WriteTag(ModelProto.GraphFieldNumber, WireFormat.WireType.LengthDelimited);
        m.WriteBytes(ByteString.CopyFrom(graph.ToArray()));
        m.Flush();
        return model.ToArray();
    }
}
