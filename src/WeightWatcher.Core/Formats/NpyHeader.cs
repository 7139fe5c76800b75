using System.Buffers.Binary;
using System.Text;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats;

/// <summary>The parsed header of a <c>.npy</c> array: element type, shape, order, and where the data starts.</summary>
internal sealed record NpyHeader(DType DType, long[] Shape, bool FortranOrder, int DataOffset)
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Parses the header from the start of a stream (file or archive entry).</summary>
    public static NpyHeader Read(Stream s, string file, string tensor)
    {
        var pre = new byte[10];
        ReadFully(s, pre, file, tensor);
        if (!pre.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new ModelFormatException(file, tensor, "not a .npy array (bad magic bytes)");
        }
        int major = pre[6];
        int headerLen;
        int prefix;
        if (major == 1)
        {
            headerLen = BinaryPrimitives.ReadUInt16LittleEndian(pre.AsSpan(8, 2));
            prefix = 10;
        }
        else if (major is 2 or 3)
        {
            var more = new byte[2];
            ReadFully(s, more, file, tensor);
            uint len = BinaryPrimitives.ReadUInt32LittleEndian([pre[8], pre[9], more[0], more[1]]);
            if (len > 1_000_000)
            {
                throw new ModelFormatException(file, tensor, $".npy header length {len} is absurd");
            }
            headerLen = (int)len;
            prefix = 12;
        }
        else
        {
            throw new ModelFormatException(file, tensor, $"unsupported .npy format version {major}");
        }
        var text = new byte[headerLen];
        ReadFully(s, text, file, tensor);
        string dict = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(text);
        return Parse(dict, file, tensor, prefix + headerLen);
    }

    private static NpyHeader Parse(string dict, string file, string tensor, int dataOffset)
    {
        string descr = ValueOf(dict, "descr", file, tensor).Trim().Trim('\'', '"');
        string fortran = ValueOf(dict, "fortran_order", file, tensor).Trim();
        string shapeText = ValueOf(dict, "shape", file, tensor).Trim();
        if (descr.Length > 2 && descr[0] == '>' && descr[1..] is not ("i1" or "u1" or "b1"))
        {
            throw new ModelFormatException(file, tensor, $"big-endian .npy dtype '{descr}' is not supported (save the array as little-endian, e.g. arr.astype('<f4'))");
        }
        var dtype = ParseDescr(descr) ?? throw new ModelFormatException(file, tensor, $"unsupported .npy dtype '{descr}'");
        if (!shapeText.StartsWith('(') || !shapeText.EndsWith(')'))
        {
            throw new ModelFormatException(file, tensor, $"malformed .npy shape '{shapeText}'");
        }
        var parts = shapeText[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length > ReaderLimits.MaxRank)
        {
            throw new ModelFormatException(file, tensor, $"rank {parts.Length} exceeds {ReaderLimits.MaxRank}");
        }
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i].TrimEnd('L'), out shape[i]) || shape[i] < 0)
            {
                throw new ModelFormatException(file, tensor, $"malformed .npy shape '{shapeText}'");
            }
        }
        bool isFortran = fortran switch
        {
            "True" => true,
            "False" => false,
            _ => throw new ModelFormatException(file, tensor, $"malformed fortran_order '{fortran}'"),
        };
        return new NpyHeader(dtype, shape, isFortran, dataOffset);
    }

    /// <summary>Extracts the literal after <c>'key':</c> up to the next top-level comma or the closing brace.</summary>
    private static string ValueOf(string dict, string key, string file, string tensor)
    {
        int k = dict.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (k < 0)
        {
            k = dict.IndexOf($"\"{key}\"", StringComparison.Ordinal);
        }
        if (k < 0)
        {
            throw new ModelFormatException(file, tensor, $".npy header lacks '{key}'");
        }
        int colon = dict.IndexOf(':', k + key.Length + 2);
        if (colon < 0)
        {
            throw new ModelFormatException(file, tensor, $".npy header is malformed near '{key}'");
        }
        int depth = 0;
        var sb = new StringBuilder();
        for (int i = colon + 1; i < dict.Length; i++)
        {
            char c = dict[i];
            if (c == '(' || c == '[')
            {
                depth++;
            }
            else if (c == ')' || c == ']')
            {
                depth--;
            }
            else if ((c == ',' || c == '}') && depth == 0)
            {
                return sb.ToString();
            }
            sb.Append(c);
        }
        throw new ModelFormatException(file, tensor, $".npy header is malformed near '{key}'");
    }

    private static DType? ParseDescr(string descr)
    {
        if (descr.Length < 2)
        {
            return null;
        }
        char order = descr[0];
        string code = descr[1..];
        bool single = code is "i1" or "u1" or "b1";
        // Big-endian multi-byte data is refused rather than silently misread.
        if (order == '>' && !single)
        {
            return null;
        }
        if (order is not ('<' or '|' or '=' or '>'))
        {
            return null;
        }
        return code switch
        {
            "f8" => DType.F64,
            "f4" => DType.F32,
            "f2" => DType.F16,
            "i8" => DType.I64,
            "i4" => DType.I32,
            "i2" => DType.I16,
            "i1" => DType.I8,
            "u1" => DType.U8,
            "u2" => DType.U16,
            "u4" => DType.U32,
            "u8" => DType.U64,
            "b1" => DType.Bool,
            _ => null,
        };
    }

    private static void ReadFully(Stream s, byte[] buffer, string file, string tensor)
    {
        try
        {
            s.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new ModelFormatException(file, tensor, ".npy data is truncated", e);
        }
    }
}
