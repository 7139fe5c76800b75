using Google.Protobuf;
using WeightWatcher.Core.Formats.Onnx.Proto;

namespace WeightWatcher.Core.Formats.Onnx;

/// <summary>
/// Recognises an ONNX model by content. ONNX has no magic number, so the top-level fields of the file are
/// walked as a <c>ModelProto</c> (reading only each field's tag and length, never its contents) until both
/// <c>ir_version</c> (a small positive number) and <c>graph</c> have been seen: every field on the way must
/// be a ModelProto field with its schema's wire type, and must fit in the file, except a graph cut short
/// (a truncated model, reported as such when opened). Files of the magic-number formats (safetensors, npy,
/// zip, pickle, GGUF, HDF5) fail the first tag and are never taken for ONNX.
/// </summary>
public static class OnnxDetector
{
    private const long MaxIrVersion = 100;
    private const int MaxFields = 10_000;
    private const int WindowBytes = 24;

    /// <summary>True when <paramref name="file"/> starts like an ONNX <c>ModelProto</c>; false when it does not or cannot be read.</summary>
    public static bool LooksLikeOnnx(string file)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            return LooksLikeOnnx(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True when the seekable <paramref name="stream"/> holds the top-level fields of a <c>ModelProto</c>.</summary>
    public static bool LooksLikeOnnx(Stream stream)
    {
        long fileLength = stream.Length;
        var window = new byte[WindowBytes];
        bool irVersion = false, graph = false;
        long offset = 0;
        try
        {
            for (int i = 0; i < MaxFields && offset < fileLength && !(irVersion && graph); i++)
            {
                stream.Position = offset;
                int n = stream.ReadAtLeast(window, window.Length, throwOnEndOfStream: false);
                var input = new CodedInputStream(window, 0, n);
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
                    offset += input.Position;
                    continue;
                }
                int length = input.ReadLength();
                if (length < 0)
                {
                    return false;
                }
                long end = offset + input.Position + length;
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
            // A tag or varint cut by the end of the file, or malformed.
            return false;
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
