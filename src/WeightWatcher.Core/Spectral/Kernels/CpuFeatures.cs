namespace WeightWatcher.Core.Spectral.Kernels;

/// <summary>
/// What the CPU offers the BLAS kernels, as the operating system reports it (<c>/proc/cpuinfo</c> on Linux):
/// vendor, model name and instruction-set flags. Used to decide whether OpenBLAS's own kernel choice left
/// vector units unused.
/// </summary>
/// <param name="Vendor">Vendor id (GenuineIntel, AuthenticAMD ...), empty when unknown.</param>
/// <param name="Model">Model name as reported (a virtual machine may report a generic one).</param>
/// <param name="Flags">Instruction-set flags (avx2, fma, avx512f ...), lower case.</param>
public sealed record CpuFeatures(string Vendor, string Model, IReadOnlySet<string> Flags)
{
    private static readonly string[] Avx512Core = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"];

    /// <summary>AVX2 and FMA (what OpenBLAS's Haswell kernels need).</summary>
    public bool HasAvx2Fma => Flags.Contains("avx2") && Flags.Contains("fma");

    /// <summary>The AVX-512 subsets of Skylake-SP (F, CD, BW, DQ, VL), what OpenBLAS's SkylakeX kernels need, with AVX2 and FMA.</summary>
    public bool HasAvx512 => HasAvx2Fma && Avx512Core.All(Flags.Contains);

    /// <summary>AVX-512 BF16 on top of <see cref="HasAvx512"/> (OpenBLAS's Cooperlake kernels).</summary>
    public bool HasAvx512Bf16 => HasAvx512 && Flags.Contains("avx512_bf16");

    /// <summary>The widest vector level: <see cref="KernelFamilies.Avx512Level"/>, <see cref="KernelFamilies.Avx2Level"/> or 0.</summary>
    public int Level => HasAvx512 ? KernelFamilies.Avx512Level : HasAvx2Fma ? KernelFamilies.Avx2Level : 0;

    /// <summary>A short description: model and vector level.</summary>
    public override string ToString() =>
        $"{(Model.Length > 0 ? Model : "unknown CPU")} ({(HasAvx512 ? "AVX-512, AVX2+FMA" : HasAvx2Fma ? "AVX2+FMA, no AVX-512" : "no AVX2+FMA")})";

    /// <summary>This machine's CPU; empty features where <c>/proc/cpuinfo</c> cannot be read (not Linux).</summary>
    public static CpuFeatures Current()
    {
        try
        {
            return File.Exists("/proc/cpuinfo") ? Parse(File.ReadAllText("/proc/cpuinfo")) : Unknown;
        }
        catch (IOException)
        {
            return Unknown;
        }
        catch (UnauthorizedAccessException)
        {
            return Unknown;
        }
    }

    /// <summary>No information.</summary>
    public static CpuFeatures Unknown { get; } = new("", "", new HashSet<string>());

    /// <summary>Reads the first processor's block of a <c>/proc/cpuinfo</c> text.</summary>
    public static CpuFeatures Parse(string cpuinfo)
    {
        string vendor = "", model = "";
        HashSet<string>? flags = null;
        foreach (var line in cpuinfo.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (line.Trim().Length == 0 && flags is not null)
            {
                break; // end of the first processor's block
            }
            if (colon < 0)
            {
                continue;
            }
            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "vendor_id" when vendor.Length == 0:
                    vendor = value;
                    break;
                case "model name" when model.Length == 0:
                    model = value;
                    break;
                case "flags" when flags is null:
                    flags = value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => f.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
                    break;
            }
        }
        return new CpuFeatures(vendor, model, flags ?? new HashSet<string>());
    }

    /// <summary>Vendor, model and the sorted flags in one line: what a kernel verdict is valid for.</summary>
    public string Identity => $"{Vendor}|{Model}|{string.Join(' ', Flags.Order(StringComparer.Ordinal))}";
}
