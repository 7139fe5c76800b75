using System.Text.Json;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.TfJs;

/// <summary>
/// Lays out the weights of a TF.js <c>weightsManifest</c>: each group's shard files (its <c>paths</c>)
/// are concatenated in order, and the group's <c>weights</c> follow one another in that byte stream.
/// Shards must exist and lie inside the model directory. String weights (lookup tables of graph models)
/// are not numeric: their bytes (per element, a uint32 length then the bytes) are stepped over and they
/// are not listed.
/// </summary>
internal static class TfJsManifest
{
    public static List<TfJsWeight> Read(FileRangeReader io, string modelJson, JsonElement manifest)
    {
        if (manifest.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFormatException(modelJson, null, "'weightsManifest' is not an array");
        }
        string directory = Path.GetDirectoryName(Path.GetFullPath(modelJson)) ?? ".";
        var weights = new List<TfJsWeight>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        int groupIndex = 0;
        foreach (var group in manifest.EnumerateArray())
        {
            if (group.ValueKind != JsonValueKind.Object
                || !group.TryGetProperty("paths", out var paths) || paths.ValueKind != JsonValueKind.Array
                || !group.TryGetProperty("weights", out var entries) || entries.ValueKind != JsonValueKind.Array)
            {
                throw new ModelFormatException(modelJson, null, $"weightsManifest group {groupIndex} lacks a 'paths' array and a 'weights' array");
            }
            var shards = new List<(string File, long Length)>();
            foreach (var p in paths.EnumerateArray())
            {
                if (p.ValueKind != JsonValueKind.String)
                {
                    throw new ModelFormatException(modelJson, null, $"weightsManifest group {groupIndex} has a path that is not a string");
                }
                string file = ShardPath(directory, p.GetString()!, modelJson);
                long length;
                try
                {
                    length = ModelPaths.FileLength(file);
                }
                catch (FileNotFoundException e)
                {
                    throw new ModelFormatException(modelJson, null, $"shard '{p.GetString()}' is missing", e);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new ModelFormatException(modelJson, null, $"shard '{p.GetString()}' cannot be read: {e.Message}", e);
                }
                shards.Add((file, length));
            }
            var stream = new ShardStream(io, shards);
            foreach (var entry in entries.EnumerateArray())
            {
                var w = ReadWeight(modelJson, entry, stream, groupIndex);
                if (w is null)
                {
                    continue;
                }
                if (!names.Add(w.Info.Name))
                {
                    throw new ModelFormatException(modelJson, w.Info.Name, "weight name appears more than once in the manifest");
                }
                weights.Add(w);
                if (weights.Count > ReaderLimits.MaxTensorCount)
                {
                    throw new ModelFormatException(modelJson, null, $"manifest lists more than {ReaderLimits.MaxTensorCount} weights");
                }
            }
            groupIndex++;
        }
        return weights;
    }

    private static TfJsWeight? ReadWeight(string modelJson, JsonElement entry, ShardStream stream, int groupIndex)
    {
        if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String)
        {
            throw new ModelFormatException(modelJson, null, $"a weight of group {groupIndex} has no 'name' string");
        }
        string name = nameElement.GetString()!;
        if (!entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFormatException(modelJson, name, "weight has no 'shape' array");
        }
        var shape = new List<long>();
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
            {
                throw new ModelFormatException(modelJson, name, $"shape entry {d.GetRawText()} is not a non-negative integer");
            }
            shape.Add(v);
            if (shape.Count > ReaderLimits.MaxRank)
            {
                throw new ModelFormatException(modelJson, name, $"shape has more than {ReaderLimits.MaxRank} dimensions");
            }
        }
        string dtypeName = entry.TryGetProperty("dtype", out var dt) && dt.ValueKind == JsonValueKind.String ? dt.GetString()! : "";
        if (dtypeName == "string")
        {
            SkipStrings(modelJson, name, TensorInfo.CountElements(shape), stream, groupIndex);
            return null;
        }
        DType dtype = dtypeName switch
        {
            "float32" => DType.F32,
            "float16" => DType.F16,
            "int32" => DType.I32,
            "bool" => DType.Bool,
            _ => throw new ModelFormatException(modelJson, name, $"dtype '{dtypeName}' is not supported (float32, float16, int32, bool)"),
        };
        var quantization = entry.TryGetProperty("quantization", out var q) && q.ValueKind != JsonValueKind.Null
            ? Quantization(modelJson, name, q)
            : null;
        DType stored = quantization?.StoredType ?? dtype;
        long count = TensorInfo.CountElements(shape);
        long bytes = count < 0 ? -1 : count > long.MaxValue / 8 ? -1 : count * DTypes.SizeOf(stored);
        if (bytes < 0)
        {
            throw new ModelFormatException(modelJson, name, $"shape ({string.Join(", ", shape)}) overflows");
        }
        var segments = stream.Take(bytes);
        if (segments is null)
        {
            throw new ModelFormatException(modelJson, name, $"needs {bytes} bytes at offset {stream.Position} of group {groupIndex}, but its shards hold {stream.Total} bytes in all (a shard is truncated or missing from 'paths')");
        }
        var first = segments.Count > 0 ? segments[0] : new TfJsSegment(stream.FileAtPosition, 0, 0);
        var info = new TensorInfo(name, dtype, shape.ToArray(), first.File, first.Offset, bytes);
        return new TfJsWeight(info, stored, quantization, segments);
    }

    private static void SkipStrings(string modelJson, string name, long count, ShardStream stream, int groupIndex)
    {
        // Each element takes at least its 4-byte length.
        if (count < 0 || count > (stream.Total - stream.Position) / 4)
        {
            throw new ModelFormatException(modelJson, name, $"string weight of {count} elements needs more bytes than group {groupIndex}'s shards hold after offset {stream.Position}");
        }
        Span<byte> length = stackalloc byte[4];
        for (long i = 0; i < count; i++)
        {
            if (!stream.Read(length))
            {
                throw new ModelFormatException(modelJson, name, $"string element {i} runs past the end of group {groupIndex}'s shards");
            }
            uint n = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(length);
            if (stream.Take(n) is null)
            {
                throw new ModelFormatException(modelJson, name, $"string element {i} claims {n} bytes, past the end of group {groupIndex}'s shards");
            }
        }
    }

    private static TfJsQuantization Quantization(string modelJson, string name, JsonElement q)
    {
        if (q.ValueKind != JsonValueKind.Object || !q.TryGetProperty("dtype", out var d) || d.ValueKind != JsonValueKind.String)
        {
            throw new ModelFormatException(modelJson, name, "quantization has no 'dtype' string");
        }
        DType stored = d.GetString() switch
        {
            "uint8" => DType.U8,
            "uint16" => DType.U16,
            "float16" => DType.F16,
            var other => throw new ModelFormatException(modelJson, name, $"quantization dtype '{other}' is not supported (uint8, uint16, float16)"),
        };
        if (stored == DType.F16)
        {
            return new TfJsQuantization(stored, 1, 0);
        }
        double scale = Number(modelJson, name, q, "scale");
        double min = Number(modelJson, name, q, "min");
        return new TfJsQuantization(stored, scale, min);
    }

    private static double Number(string modelJson, string name, JsonElement q, string key)
    {
        if (!q.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double x) || !double.IsFinite(x))
        {
            throw new ModelFormatException(modelJson, name, $"quantization '{key}' is missing or not a finite number");
        }
        return x;
    }

    /// <summary>The full path of a shard named in the manifest: inside the model directory, and a file.</summary>
    private static string ShardPath(string directory, string shard, string modelJson)
    {
        string full = ModelPaths.ShardInside(directory, shard, modelJson);
        if (Directory.Exists(full))
        {
            throw new ModelFormatException(modelJson, null, $"shard '{shard}' is a directory");
        }
        return full;
    }

    /// <summary>The concatenation of a group's shards, consumed weight by weight.</summary>
    private sealed class ShardStream(FileRangeReader io, List<(string File, long Length)> shards)
    {
        private int _shard;
        private long _inShard;

        public long Position { get; private set; }

        public long Total { get; } = shards.Sum(s => s.Length);

        public string FileAtPosition => shards.Count == 0 ? "" : shards[Math.Min(_shard, shards.Count - 1)].File;

        /// <summary>Reads and consumes the next bytes; false when the shards end first.</summary>
        public bool Read(Span<byte> destination)
        {
            var runs = Take(destination.Length);
            if (runs is null)
            {
                return false;
            }
            int done = 0;
            foreach (var r in runs)
            {
                io.ReadExactly(r.File, r.Offset, destination.Slice(done, (int)r.Length));
                done += (int)r.Length;
            }
            return true;
        }

        /// <summary>The runs of the next <paramref name="bytes"/> bytes, or null when the shards end first.</summary>
        public List<TfJsSegment>? Take(long bytes)
        {
            if (bytes > Total - Position)
            {
                return null;
            }
            var runs = new List<TfJsSegment>();
            long left = bytes;
            while (left > 0)
            {
                var (file, length) = shards[_shard];
                long n = Math.Min(left, length - _inShard);
                if (n > 0)
                {
                    runs.Add(new TfJsSegment(file, _inShard, n));
                }
                _inShard += n;
                left -= n;
                if (_inShard == length && _shard < shards.Count - 1)
                {
                    _shard++;
                    _inShard = 0;
                }
            }
            Position += bytes;
            return runs;
        }
    }
}
