using Serilog;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Spectral.Kernels;

namespace WeightWatcher.Cli.Native;

/// <summary>
/// Decides the OpenBLAS kernel family of this process before the native provider loads. A value of
/// <c>OPENBLAS_CORETYPE</c> set by the user or the environment always wins and is never changed. When
/// none is set and OpenBLAS picks a generic family (Prescott, Core2 ...) on a CPU with AVX2+FMA or
/// AVX-512, the best family the CPU supports that passes <c>ww info --check</c> is chosen. OpenBLAS's pick
/// and every check run in child processes (a crashing kernel cannot take the job down), once per CPU and
/// OpenBLAS build: the verdict is cached under the user's cache folder.
/// </summary>
internal static class KernelSelector
{
    /// <summary>Set (to 1) in the child processes that probe and check kernels: they take no decision themselves.</summary>
    public const string ProbeVariable = "WW_KERNEL_PROBE";

    /// <summary>Prefix of the probe's line naming the family OpenBLAS runs.</summary>
    public const string CoreLine = "openblas_core=";

    /// <summary>Prefix of the probe's line with OpenBLAS's build configuration.</summary>
    public const string ConfigLine = "openblas_config=";

    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(120);
    private static (KernelVerdict Verdict, string? Path)? _verdict;

    private static readonly HashSet<string> NativeCommands = new(StringComparer.Ordinal) { "analyze", "esd", "info", "bench", "zoo", "node" };

    /// <summary>
    /// At the start of a command that computes spectra: decides the kernel family, loads the native
    /// provider with it and verifies what loaded. Never fails the command (a problem is logged).
    /// </summary>
    public static void PrepareFor(string[] args)
    {
        if (args.Length == 0 || !NativeCommands.Contains(args[0])
            || string.Equals(Environment.GetEnvironmentVariable(OpenBlasSpectralBackend.DisableVariable), "off", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        try
        {
            Select();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            Log.Warning("No OpenBLAS kernel family chosen: {Reason}", e.Message);
        }
        VerifyLoaded();
    }

    /// <summary>Decides and applies the family (sets <c>OPENBLAS_CORETYPE</c> natively when ww chooses); returns the decision.</summary>
    public static KernelChoice Select()
    {
        var choice = Decide();
        OpenBlasKernel.Apply(choice);
        return choice;
    }

    /// <summary>
    /// After the provider has loaded: logs the family and why, warns when OpenBLAS runs another family than
    /// decided, and forgets a cached verdict made for another OpenBLAS version (decided again next run).
    /// </summary>
    public static void VerifyLoaded()
    {
        var choice = OpenBlasKernel.Choice;
        if (!OpenBlasSpectralBackend.IsAvailable)
        {
            return;
        }
        string? loaded = OpenBlasKernel.Loaded;
        Log.Information("OpenBLAS {Version} runs its {Family} kernels ({Source}): {Reason}", OpenBlasKernel.Version, loaded, choice.SourceLabel, choice.Reason);
        if (choice.Family is { } family && !string.Equals(loaded, family, StringComparison.OrdinalIgnoreCase))
        {
            Log.Warning("OpenBLAS runs its {Loaded} kernels although {Family} was asked for ({Source}): this OpenBLAS does not know that family or the CPU lacks it", loaded, family, choice.SourceLabel);
        }
        if (_verdict is { } v && OpenBlasKernel.VersionOf(v.Verdict.OpenBlasConfig) is { } cached && OpenBlasKernel.Version is { } running && cached != running)
        {
            Log.Warning("The kernel verdict {Path} was made for OpenBLAS {Cached}, this is {Running}: it will be decided again on the next run", v.Path, cached, running);
            KernelVerdictCache.Default.Forget(v.Verdict.CpuIdentity, v.Verdict.OpenBlasLibrary);
        }
    }

    private static KernelChoice Decide()
    {
        if (OpenBlasKernel.EnvironmentValue is not null || Environment.GetEnvironmentVariable(ProbeVariable) == "1")
        {
            return KernelChoice.FromEnvironment();
        }
        if (!File.Exists(Path.Combine(AppContext.BaseDirectory, "libMathNetNumericsOpenBLAS.so")))
        {
            return new KernelChoice(null, KernelSource.OpenBlas, null, "the native provider is not built, so there is no OpenBLAS to choose kernels for");
        }
        var cpu = CpuFeatures.Current();
        if (cpu.Level == 0)
        {
            return new KernelChoice(null, KernelSource.OpenBlas, null, $"{cpu}: OpenBLAS's generic families are the right ones, nothing to choose");
        }
        string library = OpenBlasKernel.LibraryIdentity() ?? "libopenblas.so.0 not found in the usual folders";
        var cache = KernelVerdictCache.Default;
        string? path = cache.PathFor(cpu.Identity, library);
        var verdict = cache.Load(cpu.Identity, library);
        if (verdict is null)
        {
            verdict = Probe(cpu, library);
            path = cache.Save(verdict);
            // Said once, when decided: later runs read the verdict (ww info shows it). A provider that does not
            // load is said by the managed-provider notice, which must stay the first line.
            if (verdict.Detected is not null)
            {
                Console.Error.WriteLine($"ww: OpenBLAS kernels: {verdict.Reason}{(path is null ? "" : $" (verdict cached in {path})")}");
            }
        }
        _verdict = (verdict, path);
        string where = path is null ? "" : $" (verdict cached in {path})";
        return verdict.Chosen is { } chosen
            ? new KernelChoice(chosen, KernelSource.Chosen, verdict.Detected, verdict.Reason + where)
            : new KernelChoice(null, KernelSource.OpenBlas, verdict.Detected, verdict.Reason + where);
    }

    /// <summary>Asks a child what OpenBLAS picks by itself, then checks the better families, best first, until one passes.</summary>
    private static KernelVerdict Probe(CpuFeatures cpu, string library)
    {
        var probe = RunChild(["info", "--probe"], family: null);
        string? detected = Field(probe.Stdout, CoreLine);
        string? config = Field(probe.Stdout, ConfigLine);
        KernelVerdict Verdict(string? chosen, string reason, IReadOnlyList<KernelCheck> checks) =>
            new(cpu.ToString(), cpu.Identity, library, config, detected, chosen, reason, checks, DateTimeOffset.UtcNow);
        if (probe.ExitCode != 0 || detected is null)
        {
            return Verdict(null, $"the native provider did not load in a child process (exit code {probe.ExitCode}: {FirstLine(probe.Stderr)})", []);
        }
        if (!KernelFamilies.ShouldChoose(cpu, detected))
        {
            return Verdict(null, $"OpenBLAS picks {detected} for {cpu}, not a generic family: kept", []);
        }
        var checks = new List<KernelCheck>();
        foreach (var family in KernelFamilies.Candidates(cpu))
        {
            var check = Check(family);
            checks.Add(check);
            if (check.Passed)
            {
                return Verdict(family, $"OpenBLAS picks {detected}, a generic family, for {cpu}; {family} is the best family this CPU supports that passes ww info --check", checks);
            }
            Log.Warning("OpenBLAS kernel family {Family} failed ww info --check: {Detail}", family, check.Detail);
        }
        return Verdict(null, $"OpenBLAS picks {detected}, a generic family, for {cpu}, but none of {string.Join(", ", checks.Select(c => c.Family))} passed ww info --check: {detected} kept", checks);
    }

    private static KernelCheck Check(string family)
    {
        var r = RunChild(["info", "--probe", "--check"], family);
        string? ran = Field(r.Stdout, CoreLine);
        string? line = r.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("check: ", StringComparison.Ordinal))?.Trim();
        if (r.ExitCode == 0 && string.Equals(ran, family, StringComparison.OrdinalIgnoreCase) && line is not null && line.EndsWith(": OK", StringComparison.Ordinal))
        {
            return new KernelCheck(family, true, line);
        }
        string why = ran is not null && !string.Equals(ran, family, StringComparison.OrdinalIgnoreCase)
            ? $"OpenBLAS ran {ran} instead"
            : line ?? $"exit code {r.ExitCode}: {FirstLine(r.Stderr)}";
        return new KernelCheck(family, false, why);
    }

    private static SelfProcess.Result RunChild(string[] args, string? family) =>
        SelfProcess.Run(args, new Dictionary<string, string?>
        {
            [ProbeVariable] = "1",
            [OpenBlasKernel.Variable] = family,
            ["WW_LOG_LEVEL"] = "Warning",
        }, ChildTimeout);

    private static string? Field(string text, string prefix) =>
        text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim() is { Length: > 0 } v ? v : null;

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "no output";
}
