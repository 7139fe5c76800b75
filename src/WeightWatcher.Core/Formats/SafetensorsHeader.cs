using System.Buffers.Binary;
using System.Text.Json;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats;

/// <summary>
/// Parses and validates the header of one safetensors file: an 8-byte little-endian length, a JSON
/// object of tensor entries, then the data area that the entries' <c>data_offsets</c> index.
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>Reads the header of <paramref name="file"/> and returns its tensors in file-offset order.</summary>
    public static List<TensorInfo> Read(FileRangeReader io, string file)
    {
        long fileLength = io.Length(file);
        if (fileLength < 8)
        {
            throw new ModelFormatException(file, null, $"file is truncated: {fileLength} bytes, a safetensors file starts with an 8-byte header length");
        }
        Span<byte> lenBytes = stackalloc byte[8];
        io.ReadExactly(file, 0, lenBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLength > ReaderLimits.MaxHeaderBytes)
        {
            throw new ModelFormatException(file, null, $"header length {headerLength} exceeds the limit of {ReaderLimits.MaxHeaderBytes} bytes");
        }
        if ((long)headerLength > fileLength - 8)
        {
            throw new ModelFormatException(file, null, $"header length {headerLength} runs beyond the end of the file ({fileLength} bytes)");
        }
        var json = new byte[headerLength];
        io.ReadExactly(file, 8, json);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        using var doc = ParseJson(file, json, "header");
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(file, null, "header is not a JSON object");
        }
        try
        {
            var tensors = ParseEntries(file, doc.RootElement, dataStart, dataLength);
            CheckNoOverlap(file, tensors);
            return tensors;
        }
        catch (InvalidOperationException e)
        {
            // Valid JSON syntax whose string escapes are not valid UTF-16 (e.g. a lone "\ud800").
            throw new ModelFormatException(file, null, $"header holds a string that is not valid Unicode: {e.Message}", e);
        }
    }

    private static List<TensorInfo> ParseEntries(string file, JsonElement root, long dataStart, long dataLength)
    {
        var tensors = new List<TensorInfo>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prop in root.EnumerateObject())
        {
            // JSON allows a key twice; a second tensor of the same name would be ambiguous.
            if (!names.Add(prop.Name))
            {
                throw new ModelFormatException(file, prop.Name, "header declares this key more than once");
            }
            if (prop.Name == "__metadata__")
            {
                continue;
            }
            if (tensors.Count >= ReaderLimits.MaxTensorCount)
            {
                throw new ModelFormatException(file, null, $"more than {ReaderLimits.MaxTensorCount} tensors declared");
            }
            tensors.Add(ParseEntry(file, prop, dataStart, dataLength));
        }
        return tensors;
    }

    /// <summary>
    /// Parses a JSON document that must be UTF-8 (safetensors headers and index files). Invalid UTF-8 is
    /// refused up front: <see cref="JsonDocument"/> only notices it when a string is decoded, and then
    /// throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public static JsonDocument ParseJson(string file, ReadOnlyMemory<byte> json, string what)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
        {
            throw new ModelFormatException(file, null, $"{what} is not valid UTF-8 text");
        }
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(file, null, $"{what} is not valid JSON: {e.Message}", e);
        }
    }

    private static TensorInfo ParseEntry(string file, JsonProperty prop, long dataStart, long dataLength)
    {
        string name = prop.Name;
        var e = prop.Value;
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(file, name, "header entry is not an object");
        }
        if (!e.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
        {
            throw new ModelFormatException(file, name, "header entry has no string 'dtype'");
        }
        var dtype = DTypes.FromSafetensors(dtypeEl.GetString()!)
            ?? throw new ModelFormatException(file, name, $"unsupported dtype '{dtypeEl.GetString()}'");
        if (!e.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFormatException(file, name, "header entry has no 'shape' array");
        }
        if (shapeEl.GetArrayLength() > ReaderLimits.MaxRank)
        {
            throw new ModelFormatException(file, name, $"rank {shapeEl.GetArrayLength()} exceeds {ReaderLimits.MaxRank}");
        }
        var shape = new long[shapeEl.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
            {
                throw new ModelFormatException(file, name, $"shape entry '{d}' is not a non-negative integer");
            }
            shape[i++] = v;
        }
        if (!e.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
        {
            throw new ModelFormatException(file, name, "header entry has no 'data_offsets' pair");
        }
        if (offEl[0].ValueKind != JsonValueKind.Number || offEl[1].ValueKind != JsonValueKind.Number
            || !offEl[0].TryGetInt64(out long begin) || !offEl[1].TryGetInt64(out long end) || begin < 0 || end < begin)
        {
            throw new ModelFormatException(file, name, $"data_offsets {offEl} are not an ordered pair of non-negative integers");
        }
        if (end > dataLength)
        {
            throw new ModelFormatException(file, name, $"data_offsets [{begin}, {end}) run beyond the data area ({dataLength} bytes)");
        }
        long count = TensorInfo.CountElements(shape);
        if (count < 0 || count > long.MaxValue / 8 || count * DTypes.SizeOf(dtype) != end - begin)
        {
            throw new ModelFormatException(file, name, $"{DTypes.DisplayName(dtype)} shape ({string.Join(", ", shape)}) needs {(count < 0 ? "an overflowing number of" : (count * DTypes.SizeOf(dtype)).ToString())} bytes but data_offsets give {end - begin}");
        }
        return new TensorInfo(name, dtype, shape, file, dataStart + begin, end - begin);
    }

    private static void CheckNoOverlap(string file, List<TensorInfo> tensors)
    {
        var byOffset = tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.Offset).ToList();
        for (int i = 1; i < byOffset.Count; i++)
        {
            var prev = byOffset[i - 1];
            if (byOffset[i].Offset < prev.Offset + prev.ByteLength)
            {
                throw new ModelFormatException(file, byOffset[i].Name, $"byte range overlaps tensor '{prev.Name}'");
            }
        }
    }
}
