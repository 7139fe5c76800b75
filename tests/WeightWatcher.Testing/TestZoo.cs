using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Synthetic;

namespace WeightWatcher.Testing;

/// <summary>
/// A small zoo generated on disk for job tests: a three-member "mlp" series with catalog accuracies,
/// a folder model, the reference model, and the bad inputs a real zoo holds (a corrupt file, an unknown
/// format, an empty folder, a model with no layer to analyze, a catalog row for a model that is not there).
/// </summary>
public static class TestZoo
{
    /// <summary>The models that analyze, by name, with their file under models/.</summary>
    public static readonly IReadOnlyDictionary<string, string> GoodModels = new Dictionary<string, string>
    {
        ["mlp-a"] = "mlp-a.safetensors",
        ["mlp-b"] = "mlp-b.safetensors",
        ["mlp-c"] = "mlp-c.safetensors",
        ["folder-model"] = "folder-model/model.safetensors",
        ["reference"] = "reference.npz",
    };

    /// <summary>Names that must appear in the manifest's failures.</summary>
    public static readonly string[] BadModels = ["corrupt", "notes", "empty", "ghost", "vectors"];

    /// <summary>Writes the zoo under <paramref name="root"/>/models.</summary>
    public static void Write(string root, bool withBadInput = true)
    {
        string models = Path.Combine(root, "models");
        Directory.CreateDirectory(Path.Combine(models, "folder-model"));
        WriteMlp(Path.Combine(models, "mlp-a.safetensors"), seed: 11, width: 48);
        WriteMlp(Path.Combine(models, "mlp-b.safetensors"), seed: 22, width: 64);
        WriteMlp(Path.Combine(models, "mlp-c.safetensors"), seed: 33, width: 80);
        WriteMlp(Path.Combine(models, "folder-model", "model.safetensors"), seed: 44, width: 40);
        ReferenceModel.WriteNpz(Path.Combine(models, "reference.npz"));
        var catalog = "model,series,top1_acc,note\nmlp-a,mlp,71.5,small\nmlp-b,mlp,74.0,medium\nmlp-c,mlp,76.25,large\nreference,synthetic,,golden\n";
        if (withBadInput)
        {
            // A safetensors header whose length field claims far more than the file holds.
            var corrupt = new byte[64];
            BitConverter.TryWriteBytes(corrupt.AsSpan(0, 8), 1L << 40);
            corrupt[8] = (byte)'{';
            File.WriteAllBytes(Path.Combine(models, "corrupt.safetensors"), corrupt);
            File.WriteAllBytes(Path.Combine(models, "notes.bin"), Enumerable.Range(0, 500).Select(i => (byte)(i * 7 + 3)).ToArray());
            Directory.CreateDirectory(Path.Combine(models, "empty"));
            // A readable model with nothing to analyze: only 1-D weights.
            SafetensorsWriter.Write(Path.Combine(models, "vectors.safetensors"), [new NamedTensor("ln.weight", [32], new float[32]), new NamedTensor("ln.bias", [32], new float[32])]);
            catalog += "ghost,mlp,80.0,not in the store\n";
        }
        File.WriteAllText(Path.Combine(models, "zoo.csv"), catalog);
        File.WriteAllText(Path.Combine(models, "README.md"), "documentation beside the models is ignored\n");
    }

    /// <summary>Writes only the three generated "mlp" models (no catalog) into <paramref name="folder"/>.</summary>
    public static void WriteGenerated(string folder)
    {
        Directory.CreateDirectory(folder);
        WriteMlp(Path.Combine(folder, "mlp-a.safetensors"), seed: 11, width: 48);
        WriteMlp(Path.Combine(folder, "mlp-b.safetensors"), seed: 22, width: 64);
        WriteMlp(Path.Combine(folder, "mlp-c.safetensors"), seed: 33, width: 80);
    }

    /// <summary>
    /// Writes <paramref name="count"/> generated models of three analyzable layers each (gen-000.safetensors ...,
    /// numbered from <paramref name="first"/>) into <paramref name="folder"/>, <paramref name="width"/> setting
    /// their size: a zoo long enough to break a job in the middle of its analysis.
    /// </summary>
    public static IReadOnlyList<string> WriteMany(string folder, int count, int width = 160, int first = 0)
    {
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        for (int i = first; i < first + count; i++)
        {
            string file = Path.Combine(folder, $"gen-{i:000}.safetensors");
            WriteMlp(file, seed: 1000 + (ulong)i, width: width + i % 7);
            files.Add(file);
        }
        return files;
    }

    /// <summary>Rewrites one model with other weights (as a nightly retraining would).</summary>
    public static void Retrain(string root) => WriteMlp(Path.Combine(root, "models", "mlp-b.safetensors"), seed: 99, width: 64);

    private static void WriteMlp(string path, ulong seed, int width)
    {
        var layers = new (string Name, long[] Shape)[]
        {
            ("fc1.weight", [2 * width, 3 * width]),
            ("fc2.weight", [width, 2 * width]),
            ("fc3.weight", [16, width]),
            ("fc3.bias", [16]),
            ("ln.weight", [16]), // a 1-D weight: counted, and reported as skipped
        };
        SafetensorsWriter.Write(path, layers.Select((l, i) => new NamedTensor(l.Name, l.Shape, ReferenceModel.Generate(seed * 31 + (ulong)i, l.Shape.Aggregate(1L, (a, b) => a * b)))));
    }
}
