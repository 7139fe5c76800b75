using System.Text.Json;
using WeightWatcher.Cluster.Coordination;
using WeightWatcher.Cluster.Results;

namespace WeightWatcher.Testing;

/// <summary>Reads a job's results from a local results folder.</summary>
public static class ResultFiles
{
    /// <summary>The manifest in <paramref name="resultsDir"/>.</summary>
    public static JobManifest Manifest(string resultsDir) =>
        JsonSerializer.Deserialize<JobManifest>(File.ReadAllBytes(Path.Combine(resultsDir, "manifest.json")), ZooReporting.ManifestJson)
        ?? throw new InvalidDataException("empty manifest");

    /// <summary>Layer results stored so far in the cache under <paramref name="resultsDir"/> (0 before the first); tests poll it to act mid-job.</summary>
    public static int StoredLayers(string resultsDir)
    {
        string cache = Path.Combine(resultsDir, "cache");
        return Directory.Exists(cache) ? Directory.EnumerateFiles(cache, "*.json", SearchOption.AllDirectories).Count() : 0;
    }

    /// <summary>The lines of a CSV report (header first).</summary>
    public static string[] Csv(string resultsDir, string name) =>
        File.ReadAllLines(Path.Combine(resultsDir, name)).Where(l => l.Length > 0).ToArray();
}
