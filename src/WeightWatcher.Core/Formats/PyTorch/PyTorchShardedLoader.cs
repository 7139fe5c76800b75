using System.Text.Json;

namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>
/// Loads a Hugging Face directory of PyTorch shards described by <c>pytorch_model.bin.index.json</c>
/// (<c>weight_map</c>: tensor name to shard file). Shards are taken in sorted file-name order, as the
/// reference lists them; inside a shard, tensors keep the shard's state-dict order, restricted to the keys
/// the index assigns to that shard (a key listed but absent is refused; a tensor not listed is ignored).
/// All shards form ONE tensor list, so layer ids run on continuously across shards (1, 2, ... to the
/// last <c>.weight</c> key of the last shard); the reference restarts or jumps its ids per file (its
/// quirk Q23), which this deliberately does not reproduce. Shard names must stay inside the directory.
/// </summary>
public static class PyTorchShardedLoader
{
    /// <summary>The index file name of a sharded PyTorch model directory.</summary>
    public const string IndexFileName = "pytorch_model.bin.index.json";

    internal static List<TorchTensorEntry> Load(string directory)
    {
        string indexPath = Path.Combine(directory, IndexFileName);
        var weightMap = ReadWeightMap(indexPath);
        var result = new List<TorchTensorEntry>();
        foreach (var shard in weightMap.Values.Distinct(StringComparer.Ordinal).OrderBy(s => s, StringComparer.Ordinal))
        {
            string shardPath = ShardPath(directory, shard, indexPath);
            if (!File.Exists(shardPath))
            {
                throw new ModelFormatException(indexPath, null, $"shard '{TorchGlobals.Printable(shard)}' is missing");
            }
            var loaded = TorchLegacyLoader.HasLegacyMagic(shardPath) ? TorchLegacyLoader.Load(shardPath) : TorchZipLoader.Load(shardPath);
            var inShard = new HashSet<string>(loaded.Select(e => e.Info.Name), StringComparer.Ordinal);
            foreach (var (key, file) in weightMap)
            {
                if (file == shard && !inShard.Contains(key))
                {
                    throw new ModelFormatException(shardPath, key, "listed in the index but absent from the shard");
                }
            }
            result.AddRange(loaded.Where(e => weightMap.TryGetValue(e.Info.Name, out var f) && f == shard));
        }
        return result;
    }

    private static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        try
        {
            if (ModelPaths.FileLength(indexPath) > ReaderLimits.MaxHeaderBytes)
            {
                throw new ModelFormatException(indexPath, null, $"index file is larger than {ReaderLimits.MaxHeaderBytes} bytes");
            }
            using var doc = SafetensorsHeader.ParseJson(indexPath, File.ReadAllBytes(indexPath), "index");
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(indexPath, null, "index has no 'weight_map' object");
            }
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                {
                    throw new ModelFormatException(indexPath, p.Name, "weight_map value is not a file name");
                }
                if (!result.TryAdd(p.Name, p.Value.GetString()!))
                {
                    throw new ModelFormatException(indexPath, p.Name, "weight_map lists this key more than once");
                }
            }
            return result;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(indexPath, null, $"cannot read index: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new ModelFormatException(indexPath, null, $"index holds a string that is not valid Unicode: {e.Message}", e);
        }
    }

    /// <summary>The full path of a shard, which must lie inside the model directory.</summary>
    private static string ShardPath(string directory, string shard, string indexPath) =>
        ModelPaths.ShardInside(directory, shard, indexPath);
}
