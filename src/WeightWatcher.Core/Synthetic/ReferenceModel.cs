using WeightWatcher.Core.Formats;

namespace WeightWatcher.Core.Synthetic;

/// <summary>
/// The reference project's golden model: five small layers filled by a fixed-seed generator that any
/// implementation can rebuild bit for bit (a 64-bit LCG feeding a heavy-tailed transform, cast to float32).
/// It is the embedded default model of <c>ww analyze</c> and the input of the parity tests.
/// </summary>
public static class ReferenceModel
{
    /// <summary>Layer keys, PyTorch-layout shapes and seeds, in state-dict order (ids 1..5).</summary>
    public static IReadOnlyList<(string Name, long[] Shape, ulong Seed)> Layers { get; } =
    [
        ("fc_a.weight", [256, 96], 1),
        ("fc_b.weight", [64, 200], 2),
        ("conv_c.weight", [48, 24, 3, 3], 3),
        ("sq_d.weight", [100, 100], 4),
        ("conv_e.weight", [20, 30, 2, 2], 5),
    ];

    /// <summary>The five tensors of the model, in order.</summary>
    public static IReadOnlyList<NamedTensor> Tensors() =>
        Layers.Select(l => new NamedTensor(l.Name, l.Shape, Generate(l.Seed, l.Shape.Aggregate(1L, (a, b) => a * b)))).ToList();

    /// <summary>
    /// <paramref name="count"/> values from the generator started at state <paramref name="seed"/>:
    /// s = s * 6364136223846793005 + 1442695040888963407 (mod 2^64); u = ((s >> 11) + 0.5) * 2^-53;
    /// v = 2u - 1; value = 0.02 * sign(v) * (|v|^(-1/3) - 1), in double, then cast to float32.
    /// </summary>
    public static float[] Generate(ulong seed, long count)
    {
        var values = new float[count];
        ulong s = seed;
        for (long i = 0; i < count; i++)
        {
            s = unchecked((s * 6364136223846793005UL) + 1442695040888963407UL);
            double u = ((s >> 11) + 0.5) * (1.0 / 9007199254740992.0);
            double v = (2 * u) - 1;
            values[i] = (float)(0.02 * Math.Sign(v) * (Math.Pow(Math.Abs(v), -1.0 / 3.0) - 1));
        }
        return values;
    }

    /// <summary>Writes the model as an <c>.npz</c> archive (keeps the state-dict order, so ids match the golden files).</summary>
    public static void WriteNpz(string path) => NumpyWriter.WriteNpz(path, Tensors());

    /// <summary>Writes the model as safetensors to <paramref name="path"/>.</summary>
    public static void WriteSafetensors(string path) => SafetensorsWriter.Write(path, Tensors());
}
