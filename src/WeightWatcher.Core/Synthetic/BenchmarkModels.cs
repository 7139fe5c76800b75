using WeightWatcher.Core.Formats;

namespace WeightWatcher.Core.Synthetic;

/// <summary>
/// Deterministic models with the shapes of real architectures, for benchmarks: weights come from the
/// golden-file generator (heavy-tailed, float32), one seed per tensor, so anyone can rebuild them.
/// </summary>
public static class BenchmarkModels
{
    /// <summary>GPT-2 small: token and position embeddings and 12 blocks (Conv1D weights stored in x out, as Hugging Face does).</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Gpt2Small()
    {
        var list = new List<(string, long[])>
        {
            ("wte.weight", [50257, 768]),
            ("wpe.weight", [1024, 768]),
        };
        for (int b = 0; b < 12; b++)
        {
            list.Add(($"h.{b}.ln_1.weight", [768]));
            list.Add(($"h.{b}.attn.c_attn.weight", [768, 2304]));
            list.Add(($"h.{b}.attn.c_proj.weight", [768, 768]));
            list.Add(($"h.{b}.ln_2.weight", [768]));
            list.Add(($"h.{b}.mlp.c_fc.weight", [768, 3072]));
            list.Add(($"h.{b}.mlp.c_proj.weight", [3072, 768]));
        }
        list.Add(("ln_f.weight", [768]));
        return list;
    }

    /// <summary>A ResNet-18-like stack of 3x3 convolutions up to 512 x 512 channels, and a 1000 x 512 classifier.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> ConvNet()
    {
        var list = new List<(string, long[])> { ("conv1.weight", [64, 3, 7, 7]) };
        int inCh = 64;
        int stage = 1;
        foreach (int ch in new[] { 64, 128, 256, 512 })
        {
            for (int block = 0; block < 2; block++)
            {
                list.Add(($"layer{stage}.{block}.conv1.weight", [ch, block == 0 ? inCh : ch, 3, 3]));
                list.Add(($"layer{stage}.{block}.conv2.weight", [ch, ch, 3, 3]));
            }
            inCh = ch;
            stage++;
        }
        list.Add(("fc.weight", [1000, 512]));
        return list;
    }

    /// <summary>Writes a model of the given layout as float32 safetensors, generating one tensor at a time.</summary>
    public static void Write(string path, IReadOnlyList<(string Name, long[] Shape)> layout)
    {
        var tensors = layout.Select((t, i) => new LazyTensor(t.Name, t.Shape,
            () => ReferenceModel.Generate((ulong)(1000 + i), t.Shape.Aggregate(1L, (a, b) => a * b))));
        SafetensorsWriter.WriteLazy(path, tensors);
    }
}
