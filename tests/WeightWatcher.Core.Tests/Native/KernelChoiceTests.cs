using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Spectral.Kernels;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Native;

/// <summary>
/// The rule for replacing OpenBLAS's kernel pick: the CPU's vector level from <c>/proc/cpuinfo</c>, which
/// families are generic, the candidates best first, and the OpenBLAS facts read from the loaded library.
/// </summary>
public sealed class KernelChoiceTests
{
    /// <summary>The first processor block of the virtual machine the issue was measured on (OpenBLAS 0.3.21 picked Prescott there).</summary>
    private const string XeonVm = """
        processor	: 0
        vendor_id	: GenuineIntel
        cpu family	: 6
        model		: 143
        model name	: Intel(R) Xeon(R) Processor
        flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch cpuid_fault invpcid_single ssbd ibrs ibpb stibp ibrs_enhanced fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves avx_vnni avx512_bf16 wbnoinvd arat avx512vbmi umip pku ospke waitpkg avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg tme avx512_vpopcntdq rdpid cldemote movdiri movdir64b md_clear serialize tsxldtrk amx_bf16 avx512_fp16 amx_tile amx_int8 arch_capabilities

        processor	: 1
        vendor_id	: GenuineIntel
        model name	: something else
        flags		: fpu
        """;

    private const string Avx2Only = """
        vendor_id	: AuthenticAMD
        model name	: AMD EPYC 7B12
        flags		: fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma bmi2
        """;

    private const string OldCpu = """
        vendor_id	: GenuineIntel
        model name	: Intel(R) Core(TM)2 Duo CPU
        flags		: fpu sse sse2 ssse3
        """;

    [Fact]
    public void The_first_processor_block_gives_model_and_flags()
    {
        var cpu = CpuFeatures.Parse(XeonVm);
        Assert.Equal("GenuineIntel", cpu.Vendor);
        Assert.Equal("Intel(R) Xeon(R) Processor", cpu.Model);
        Assert.True(cpu.HasAvx2Fma);
        Assert.True(cpu.HasAvx512);
        Assert.True(cpu.HasAvx512Bf16);
        Assert.Equal(KernelFamilies.Avx512Level, cpu.Level);
        Assert.DoesNotContain("something", cpu.Identity, StringComparison.Ordinal);
        Assert.Contains("avx512f", cpu.Identity, StringComparison.Ordinal);
    }

    [Fact]
    public void Vector_levels_follow_the_flags()
    {
        Assert.Equal(KernelFamilies.Avx2Level, CpuFeatures.Parse(Avx2Only).Level);
        Assert.False(CpuFeatures.Parse(Avx2Only).HasAvx512);
        Assert.Equal(0, CpuFeatures.Parse(OldCpu).Level);
        Assert.Equal(0, CpuFeatures.Unknown.Level);
        // AVX-512 F alone is not SkylakeX's set (CD, BW, DQ, VL too).
        Assert.Equal(KernelFamilies.Avx2Level, CpuFeatures.Parse("flags : avx avx2 fma avx512f").Level);
    }

    [Theory]
    [InlineData("Prescott", true)]
    [InlineData("Core2", true)]
    [InlineData("Nehalem", true)]
    [InlineData("Atom", true)]
    [InlineData("Sandybridge", true)]
    [InlineData("Haswell", false)]
    [InlineData("Zen", false)]
    [InlineData("SkylakeX", false)]
    [InlineData("COOPERLAKE", false)]
    [InlineData("SapphireRapids", false)]
    public void Generic_families_are_those_below_avx2(string family, bool generic) =>
        Assert.Equal(generic, KernelFamilies.IsGeneric(family));

    [Fact]
    public void Ww_chooses_only_for_a_generic_pick_on_a_cpu_with_wider_vector_units()
    {
        var vm = CpuFeatures.Parse(XeonVm);
        Assert.True(KernelFamilies.ShouldChoose(vm, "Prescott"));
        Assert.False(KernelFamilies.ShouldChoose(vm, "SkylakeX"));
        Assert.False(KernelFamilies.ShouldChoose(vm, "Haswell"));
        Assert.True(KernelFamilies.ShouldChoose(CpuFeatures.Parse(Avx2Only), "Nehalem"));
        Assert.False(KernelFamilies.ShouldChoose(CpuFeatures.Parse(OldCpu), "Prescott"));
    }

    [Fact]
    public void Candidates_are_the_families_the_cpu_supports_best_first()
    {
        Assert.Equal(["Cooperlake", "SkylakeX", "Haswell"], KernelFamilies.Candidates(CpuFeatures.Parse(XeonVm)));
        Assert.Equal(["Haswell"], KernelFamilies.Candidates(CpuFeatures.Parse(Avx2Only)));
        Assert.Empty(KernelFamilies.Candidates(CpuFeatures.Parse(OldCpu)));
    }

    [Fact]
    public void The_version_is_read_from_openblas_build_configuration()
    {
        Assert.Equal("0.3.21", OpenBlasKernel.VersionOf("OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"));
        Assert.Null(OpenBlasKernel.VersionOf("something else"));
        Assert.Null(OpenBlasKernel.VersionOf(null));
    }

    [Fact]
    public void The_loaded_library_reports_its_version_and_family_and_a_set_value_is_what_runs()
    {
        Backends.RequireNative();
        Assert.Matches(@"^\d+\.\d+\.\d+", OpenBlasKernel.Version ?? "");
        Assert.False(string.IsNullOrEmpty(OpenBlasKernel.Loaded));
        Assert.NotNull(OpenBlasKernel.LibraryIdentity());
        // This test process chooses nothing: a family set in the environment is the one OpenBLAS runs.
        if (OpenBlasKernel.EnvironmentValue is { } set)
        {
            Assert.Equal(KernelSource.Environment, OpenBlasKernel.Choice.Source);
            Assert.Equal(set, OpenBlasKernel.Loaded, ignoreCase: true);
            Assert.Equal(set, BackendInfo.Of(new OpenBlasSpectralBackend()).KernelFamily, ignoreCase: true);
        }
    }

    [Fact]
    public void Choosing_after_the_provider_has_loaded_is_refused()
    {
        Backends.RequireNative();
        Assert.True(OpenBlasSpectralBackend.IsAvailable);
        var choice = new KernelChoice("Haswell", KernelSource.Chosen, "Prescott", "test");
        Assert.Throws<InvalidOperationException>(() => OpenBlasKernel.Apply(choice));
    }
}
