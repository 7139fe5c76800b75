using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using WeightWatcher.Cluster.Serialization;
using WeightWatcher.Core.Analysis;

namespace WeightWatcher.Cluster.Coordination;

/// <summary>The engine identity that cache keys depend on, and the key function itself.</summary>
public static class ZooEngine
{
    /// <summary>
    /// Bumped whenever a change alters any number a layer result holds, so old cache entries stop
    /// matching. Deliberately not the commit id: a rebuild that changes nothing numeric must not force
    /// the whole zoo to be analyzed again.
    /// </summary>
    public const int ResultsSchema = 2; // 2: conv layout from the framework (flip path), Keras 1x1 convs

    /// <summary>Engine version recorded in keys and manifests.</summary>
    public static string Version { get; } =
        $"weightwatcher-core/{typeof(Analyzer).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}/results-{ResultsSchema}";

    /// <summary>
    /// The cache key of one layer: SHA-256 of the engine version, the analysis options, the model's
    /// content hash and the layer id. Equal inputs give equal keys on every node.
    /// </summary>
    public static string LayerKey(AnalysisOptions options, string modelContentHash, int layerId)
    {
        string text = $"{Version}\n{JsonSerializer.Serialize(options, ZooMessageSerializer.Json)}\n{modelContentHash}\n{layerId}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The content hash of a model: SHA-256 over its files' paths (relative to its root) and hashes.</summary>
    public static string ModelHash(string root, IEnumerable<KeyValuePair<string, string>> fileHashes)
    {
        var lines = fileHashes
            .Select(kv => $"{kv.Key[Math.Min(root.Length, kv.Key.Length)..]}:{kv.Value}")
            .Order(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", lines))));
    }
}
