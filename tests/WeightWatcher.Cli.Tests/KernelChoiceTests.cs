using System.Text.Json;
using System.Text.RegularExpressions;
using WeightWatcher.Core.Spectral.Kernels;

namespace WeightWatcher.Cli.Tests;

/// <summary>
/// The OpenBLAS kernel family of real <c>ww</c> processes. A value of <c>OPENBLAS_CORETYPE</c> is
/// respected (tested with the value this environment already has, or Haswell on an AVX2 CPU where it has
/// none); the automatic choice is tested only where the environment sets nothing, since a set value is
/// never unset or changed, in tests and CI too.
/// </summary>
public sealed class KernelChoiceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void A_set_OPENBLAS_CORETYPE_is_what_runs_and_is_never_second_guessed()
    {
        Backends.RequireNative();
        string value = OpenBlasKernel.EnvironmentValue
            ?? (CpuFeatures.Current().HasAvx2Fma ? "Haswell" : null)
            ?? SkipAndReturn("this environment sets no OPENBLAS_CORETYPE and the CPU has no AVX2+FMA for Haswell");
        using var cache = new TempDir();
        var env = new Dictionary<string, string> { [OpenBlasKernel.Variable] = value, ["XDG_CACHE_HOME"] = cache.Path };

        var info = WwProcess.Run(Timeout, env, "info");
        Assert.True(info.ExitCode == 0, info.Stdout + info.Stderr);
        Assert.Matches(new Regex($@"kernel family: {Regex.Escape(value)} \(set by OPENBLAS_CORETYPE\)", RegexOptions.IgnoreCase), info.Stdout);
        Assert.Contains("detected: not probed", info.Stdout, StringComparison.Ordinal);
        Assert.Contains($"OPENBLAS_CORETYPE={value} is set in the environment", info.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(cache.Path, "weightwatcher", "openblas-kernel")), "a set value must not be probed or checked");

        string json = cache.File("analyze.json");
        var analyze = WwProcess.Run(Timeout, env, "analyze", "--json", json);
        Assert.True(analyze.ExitCode == 0, analyze.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var backend = doc.RootElement.GetProperty("backend");
        Assert.Equal("openblas", backend.GetProperty("provider").GetString());
        Assert.Equal(value, backend.GetProperty("kernel_family").GetString(), ignoreCase: true);
        Assert.Equal("environment", backend.GetProperty("kernel_source").GetString());
        Assert.Matches(@"^\d+\.\d+", backend.GetProperty("openblas_version").GetString() ?? "");
    }

    [Fact]
    public void Where_nothing_is_set_ww_keeps_or_replaces_openblas_pick_once_and_caches_the_verdict()
    {
        if (OpenBlasKernel.EnvironmentValue is { } set)
        {
            Assert.Skip($"OPENBLAS_CORETYPE={set} is set by this environment: the automatic choice is tested only where nothing is set (a set value is never unset or changed)");
        }
        Backends.RequireNative();
        using var cache = new TempDir();
        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache.Path };

        var first = WwProcess.Run(Timeout, env, "info");
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        Assert.Contains("ww: OpenBLAS kernels: ", first.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"detected: OpenBLAS picks \w+ by itself", first.Stdout);
        string family = Regex.Match(first.Stdout, @"kernel family: (\w+) \((chosen by ww|OpenBLAS's own choice)\)").Groups[1].Value;
        Assert.NotEmpty(family);
        if (CpuFeatures.Current().Level > 0)
        {
            Assert.False(KernelFamilies.IsGeneric(family), $"generic kernels ({family}) on a CPU with {CpuFeatures.Current()}:\n{first.Stdout}");
        }
        var verdicts = Directory.GetFiles(Path.Combine(cache.Path, "weightwatcher", "openblas-kernel"), "*.json");
        Assert.Single(verdicts);

        var second = WwProcess.Run(Timeout, env, "info");
        Assert.DoesNotContain("ww: OpenBLAS kernels: ", second.Stderr, StringComparison.Ordinal);
        Assert.Contains($"kernel family: {family} (", second.Stdout, StringComparison.Ordinal);
        Assert.Contains(verdicts[0], second.Stdout, StringComparison.Ordinal);
    }

    private static string SkipAndReturn(string reason)
    {
        Assert.Skip(reason);
        return reason;
    }
}
