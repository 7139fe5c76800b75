using WeightWatcher.Core.Formats.Gguf;

namespace WeightWatcher.Core.Tests.Formats.Gguf;

/// <summary>
/// Mutation fuzzing (<see cref="FormatFuzzer"/>) of the GGUF reader (deterministic seed): damaged files are opened through
/// <see cref="WeightWatcher.Core.Formats.ModelOpener"/> and every tensor read. Only ModelFormatException
/// naming the file is allowed; no case may take over 2 s.
/// </summary>
public sealed class GgufFuzzTests : IDisposable
{
    private const int CasesPerSeed = 600;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<FuzzSeed> Seeds()
    {
        var plain = new GgufFileBuilder { Version = 2 }
            .MetaString("general.architecture", "llama")
            .Meta("tokenizer.ggml.tokens", GgufValueType.Array, w =>
            {
                w.Write((uint)GgufValueType.String);
                w.Write(3UL);
                GgufFileBuilder.WriteString(w, "a");
                GgufFileBuilder.WriteString(w, "bc");
                GgufFileBuilder.WriteString(w, "def");
            })
            .Meta("scores", GgufValueType.Array, w =>
            {
                w.Write((uint)GgufValueType.Float32);
                w.Write(2UL);
                w.Write(0.5f);
                w.Write(-1f);
            })
            .Tensor("a.weight", [3, 2], GgmlType.F32, GgufFileBuilder.F32(1, 2, 3, 4, 5, 6))
            .Tensor("b.weight", [4], GgmlType.F16, GgufFileBuilder.F16(1, 2, 3, 4))
            .Tensor("c", [2], GgmlType.I32, new byte[8]);
        var quantized = new GgufFileBuilder { Alignment = 16 };
        foreach (var type in new[] { GgmlType.Q4_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q6_K })
        {
            int block = GgmlTypes.Layout((uint)type)!.Value.BlockSize;
            quantized.Tensor($"{type}.weight", [block], type, GgmlTestBlocks.Encode(type, 1, (int)type).Bytes);
        }
        return
        [
            Seed("gguf-plain", plain),
            Seed("gguf-quantized", quantized),
        ];
    }

    private static FuzzSeed Seed(string name, GgufFileBuilder b)
    {
        var bytes = b.Build();
        // Length fields: version, counts, and the first string length.
        return FuzzSeed.SingleFile(name, "m.gguf", bytes, [(4, 4), (8, 8), (16, 8), (24, 8)]);
    }

    [Fact]
    public async Task Mutated_gguf_files_are_read_or_refused_with_ModelFormatException_only()
    {
        var seeds = Seeds();
        var report = await FormatFuzzer.RunAsync(_dir.Path, seeds, new FuzzOptions
        {
            Exercise = path => ModelFiles.OpenAndReadAll(path),
            CasesPerSeed = CasesPerSeed,
            RandomSeed = 20261129,
        });
        report.AssertNoProblems();
        report.AssertExercised(seeds.Count * CasesPerSeed, minRejected: 0.1, minAccepted: 0.02);
    }
}
