using System.Text.Json;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats;

/// <summary>
/// Reads a single safetensors file, or a sharded Hugging Face directory described by
/// <c>model.safetensors.index.json</c>. Tensor order follows the reference tool: a single file lists
/// its keys lexically (as <c>safe_open().keys()</c> does); a sharded model groups keys by shard file
/// (shards in sorted order), then in the index's key order.
/// </summary>
public sealed class SafetensorsReader : IModelReader
{
    /// <summary>The index file name of a sharded model directory.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly FileRangeReader _io = new();

    private SafetensorsReader(string path, string format)
    {
        ModelPath = path;
        FormatName = format;
    }

    /// <inheritdoc />
    public string ModelPath { get; }

    /// <inheritdoc />
    public string FormatName { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Tensors { get; private set; } = [];

    /// <summary>Opens one <c>.safetensors</c> file.</summary>
    public static SafetensorsReader OpenFile(string file)
    {
        var r = new SafetensorsReader(file, "safetensors");
        try
        {
            var tensors = SafetensorsHeader.Read(r._io, file);
            tensors.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            r.Tensors = tensors;
            return r;
        }
        catch
        {
            r.Dispose();
            throw;
        }
    }

    /// <summary>Opens a sharded directory through its <c>model.safetensors.index.json</c>.</summary>
    public static SafetensorsReader OpenIndex(string directory)
    {
        string indexPath = Path.Combine(directory, IndexFileName);
        var weightMap = ReadWeightMap(indexPath);
        var r = new SafetensorsReader(directory, "safetensors-sharded");
        try
        {
            var result = new List<TensorInfo>();
            foreach (var shard in weightMap.Select(kv => kv.Value).Distinct().OrderBy(s => s, StringComparer.Ordinal))
            {
                string shardPath = ShardPath(directory, shard, indexPath);
                if (!File.Exists(shardPath))
                {
                    throw new ModelFormatException(indexPath, null, $"shard '{shard}' is missing");
                }
                var inShard = SafetensorsHeader.Read(r._io, shardPath).ToDictionary(t => t.Name, StringComparer.Ordinal);
                foreach (var (key, file) in weightMap)
                {
                    if (file != shard)
                    {
                        continue;
                    }
                    if (!inShard.TryGetValue(key, out var t))
                    {
                        throw new ModelFormatException(shardPath, key, "listed in the index but absent from the shard");
                    }
                    result.Add(t);
                }
            }
            r.Tensors = result;
            return r;
        }
        catch
        {
            r.Dispose();
            throw;
        }
    }

    /// <summary>The full path of a shard named in the index, which must lie inside the model directory.</summary>
    private static string ShardPath(string directory, string shard, string indexPath) =>
        ModelPaths.ShardInside(directory, shard, indexPath);

    private static List<KeyValuePair<string, string>> ReadWeightMap(string indexPath)
    {
        try
        {
            long length;
            using (var handle = File.OpenHandle(indexPath))
            {
                length = RandomAccess.GetLength(handle); // the target's length, also through a symbolic link
            }
            if (length > ReaderLimits.MaxHeaderBytes)
            {
                throw new ModelFormatException(indexPath, null, $"index file is larger than {ReaderLimits.MaxHeaderBytes} bytes");
            }
            using var doc = SafetensorsHeader.ParseJson(indexPath, File.ReadAllBytes(indexPath), "index");
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(indexPath, null, "index has no 'weight_map' object");
            }
            var list = new List<KeyValuePair<string, string>>();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject())
            {
                if (!keys.Add(p.Name))
                {
                    throw new ModelFormatException(indexPath, p.Name, "weight_map lists this key more than once");
                }
                if (p.Value.ValueKind != JsonValueKind.String)
                {
                    throw new ModelFormatException(indexPath, p.Name, "weight_map value is not a file name");
                }
                list.Add(new(p.Name, p.Value.GetString()!));
            }
            return list;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(indexPath, null, $"cannot read index: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Valid JSON syntax whose string escapes are not valid UTF-16 (e.g. a lone "\ud800").
            throw new ModelFormatException(indexPath, null, $"index holds a string that is not valid Unicode: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public void ReadTensor(TensorInfo tensor, Span<double> destination) => _io.ReadAsDouble(tensor, destination);

    /// <inheritdoc />
    public void Dispose() => _io.Dispose();
}
