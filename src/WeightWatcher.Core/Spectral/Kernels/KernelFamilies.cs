namespace WeightWatcher.Core.Spectral.Kernels;

/// <summary>
/// OpenBLAS's x86-64 kernel families (its <c>OPENBLAS_CORETYPE</c> names) ranked by the vector units they
/// use, and the rule for replacing its own pick. A dynamic-arch OpenBLAS that does not recognise a CPU
/// (common on cloud virtual machines, whose model name is generic) falls back to a family such as
/// Prescott, which leaves AVX2/FMA and AVX-512 unused: several times slower for the same numbers.
/// </summary>
public static class KernelFamilies
{
    /// <summary>Level of the AVX2+FMA families (Haswell, Zen).</summary>
    public const int Avx2Level = 1;

    /// <summary>Level of the AVX-512 families (SkylakeX, Cooperlake, SapphireRapids).</summary>
    public const int Avx512Level = 2;

    /// <summary>
    /// The vector level a family's kernels use: <see cref="Avx512Level"/>, <see cref="Avx2Level"/>, or 0 for
    /// the older, generic families (Prescott, Core2, Nehalem, Atom, Sandybridge, Bulldozer ...).
    /// </summary>
    public static int Level(string family) => family.Trim().ToLowerInvariant() switch
    {
        "skylakex" or "cooperlake" or "sapphirerapids" => Avx512Level,
        "haswell" or "zen" => Avx2Level,
        _ => 0,
    };

    /// <summary>True for a family below the AVX2+FMA level (OpenBLAS's fall-backs for CPUs it does not know).</summary>
    public static bool IsGeneric(string family) => Level(family) == 0;

    /// <summary>
    /// The families worth trying on <paramref name="cpu"/>, best first: Cooperlake (with AVX-512 BF16),
    /// SkylakeX (AVX-512), Haswell (AVX2+FMA). Empty below AVX2+FMA, where the generic families are right.
    /// </summary>
    public static IReadOnlyList<string> Candidates(CpuFeatures cpu)
    {
        var list = new List<string>();
        if (cpu.HasAvx512Bf16)
        {
            list.Add("Cooperlake");
        }
        if (cpu.HasAvx512)
        {
            list.Add("SkylakeX");
        }
        if (cpu.HasAvx2Fma)
        {
            list.Add("Haswell");
        }
        return list;
    }

    /// <summary>
    /// Whether ww should choose instead of OpenBLAS: only when OpenBLAS picked a generic family
    /// (<paramref name="detected"/>) on a CPU with AVX2+FMA or AVX-512. Never called when the user or the
    /// environment set <c>OPENBLAS_CORETYPE</c>: that value always wins.
    /// </summary>
    public static bool ShouldChoose(CpuFeatures cpu, string detected) =>
        cpu.Level > 0 && IsGeneric(detected);
}
