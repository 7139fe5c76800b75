using Google.Protobuf;
using WeightWatcher.Core.Formats.Onnx.Proto;

namespace WeightWatcher.Core.Formats.Onnx;

/// <summary>
/// Recognises an ONNX model by content. ONNX has no magic number, so the first fields of the file are
/// parsed as a <c>ModelProto</c>: every field in the first 64 KiB must be a ModelProto field with its
/// schema's wire type, length-delimited fields other than <c>graph</c> must fit in the file (a graph cut
/// short is a truncated model, reported as such when opened), and both <c>ir_version</c> (a small
/// positive number) and <c>graph</c> must be present. Files of the magic-number formats (safetensors, npy,
/// zip, pickle, GGUF, HDF5) fail the first tag and are never taken for ONNX.
/// </summary>
public static class OnnxDetector
{
    private const int PrefixBytes = 1 << 16;
    private const long MaxIrVersion = 100;

    /// <summary>True when <paramref name="file"/> starts like an ONNX <c>ModelProto</c>; false when it does not or cannot be read.</summary>
    public static bool LooksLikeOnnx(string file)
    {
        byte[] prefix;
        long fileLength;
        try
        {
            using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
            fileLength = fs.Length;
            prefix = new byte[(int)Math.Min(PrefixBytes, fileLength)];
            fs.ReadExactly(prefix);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        return LooksLikeOnnx(prefix, fileLength);
    }

    /// <summary>True when <paramref name="prefix"/>, the start of a file of <paramref name="fileLength"/> bytes, parses as the start of a <c>ModelProto</c>.</summary>
    public static bool LooksLikeOnnx(byte[] prefix, long fileLength)
    {
        bool irVersion = false, graph = false;
        long offset = 0;
        try
        {
            while (offset < prefix.Length)
            {
                // Over a byte array, Position counts from the start of the array, not from the slice.
                var input = new CodedInputStream(prefix, (int)offset, prefix.Length - (int)offset);
                uint tag = input.ReadTag();
                int field = WireFormat.GetTagFieldNumber(tag);
                var wire = WireFormat.GetTagWireType(tag);
                if (ExpectedWireType(field) is not { } expected || wire != expected)
                {
                    return false;
                }
                if (wire == WireFormat.WireType.Varint)
                {
                    long value = input.ReadInt64();
                    if (field == ModelProto.IrVersionFieldNumber)
                    {
                        irVersion = value is > 0 and <= MaxIrVersion;
                        if (!irVersion)
                        {
                            return false;
                        }
                    }
                    offset = input.Position;
                    continue;
                }
                int length = input.ReadLength();
                if (length < 0)
                {
                    return false;
                }
                long end = input.Position + length;
                graph |= field == ModelProto.GraphFieldNumber;
                if (end > fileLength)
                {
                    // A graph cut by the end of the file is a truncated model: opening it says so.
                    return irVersion && field == ModelProto.GraphFieldNumber;
                }
                offset = end;
            }
        }
        catch (InvalidProtocolBufferException)
        {
            // A field cut by the end of the prefix is fine; one cut by the end of the file is not.
            if (prefix.Length == fileLength)
            {
                return false;
            }
        }
        return irVersion && graph;
    }

    /// <summary>The wire type of each ModelProto field, or null for a number the schema does not use.</summary>
    private static WireFormat.WireType? ExpectedWireType(int field) => field switch
    {
        ModelProto.IrVersionFieldNumber or ModelProto.ModelVersionFieldNumber => WireFormat.WireType.Varint,
        ModelProto.ProducerNameFieldNumber or ModelProto.ProducerVersionFieldNumber or ModelProto.DomainFieldNumber
            or ModelProto.DocStringFieldNumber or ModelProto.GraphFieldNumber or ModelProto.OpsetImportFieldNumber
            or ModelProto.MetadataPropsFieldNumber or ModelProto.TrainingInfoFieldNumber or ModelProto.FunctionsFieldNumber
            => WireFormat.WireType.LengthDelimited,
        _ => null,
    };
}
