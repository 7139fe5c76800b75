using System.Globalization;
using System.Text;

namespace WeightWatcher.Core.Tests.Formats.TfJs;

/// <summary>A TF.js weight for the tests: its manifest entry (JSON) and its stored bytes.</summary>
internal sealed record TfJsTestWeight(string Name, long[] Shape, string DType, byte[] Bytes, string? Quantization = null)
{
    public string ManifestEntry
    {
        get
        {
            string shape = "[" + string.Join(",", Shape) + "]";
            string q = Quantization is null ? "" : $",\"quantization\":{Quantization}";
            return $"{{\"name\":\"{Name}\",\"shape\":{shape},\"dtype\":\"{DType}\"{q}}}";
        }
    }

    public static TfJsTestWeight Float32(string name, long[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), values[i]);
        }
        return new TfJsTestWeight(name, shape, "float32", bytes);
    }

    public static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Writes a TF.js model (model.json and binary shards) into a directory.</summary>
internal static class TfJsModelBuilder
{
    /// <summary>
    /// Writes one manifest group holding <paramref name="weights"/>, concatenated and split into shards at
    /// <paramref name="splits"/> (byte positions in the concatenation); returns the files written.
    /// </summary>
    public static Dictionary<string, byte[]> Build(string format, string topology, IReadOnlyList<TfJsTestWeight> weights, params int[] splits)
    {
        var all = weights.SelectMany(w => w.Bytes).ToArray();
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var cuts = new List<int> { 0 };
        cuts.AddRange(splits);
        cuts.Add(all.Length);
        var paths = new List<string>();
        for (int i = 0; i + 1 < cuts.Count; i++)
        {
            string name = $"group1-shard{i + 1}of{cuts.Count - 1}.bin";
            files[name] = all[cuts[i]..cuts[i + 1]];
            paths.Add(name);
        }
        string manifest = "[{\"paths\":[" + string.Join(",", paths.Select(p => $"\"{p}\"")) + "],\"weights\":[" + string.Join(",", weights.Select(w => w.ManifestEntry)) + "]}]";
        string formatField = format.Length == 0 ? "" : $"\"format\":\"{format}\",";
        string json = $"{{{formatField}\"generatedBy\":\"tests\",\"convertedBy\":\"tests\",\"modelTopology\":{topology},\"weightsManifest\":{manifest}}}";
        files["model.json"] = Encoding.UTF8.GetBytes(json);
        return files;
    }

    public static string WriteTo(string directory, Dictionary<string, byte[]> files)
    {
        Directory.CreateDirectory(directory);
        foreach (var (name, bytes) in files)
        {
            File.WriteAllBytes(Path.Combine(directory, name), bytes);
        }
        return directory;
    }

    public static string Layer(string className, string name) => $"{{\"class_name\":\"{className}\",\"config\":{{\"name\":\"{name}\",\"trainable\":true}}}}";

    public static string Sequential(params string[] layers) =>
        $"{{\"class_name\":\"Sequential\",\"config\":{{\"name\":\"sequential\",\"layers\":[{string.Join(",", layers)}]}},\"keras_version\":\"tfjs-layers 4.0.0\",\"backend\":\"tensor_flow.js\"}}";

    public static float[] RandomFloats(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
    }
}
