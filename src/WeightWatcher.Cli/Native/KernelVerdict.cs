using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Serilog;

namespace WeightWatcher.Cli.Native;

/// <summary>One candidate family run through <c>ww info --check</c> in a child process.</summary>
/// <param name="Family">The <c>OPENBLAS_CORETYPE</c> value tried.</param>
/// <param name="Passed">Whether the child ran that family and every value agreed with the managed provider.</param>
/// <param name="Detail">The child's check line, or why it failed (exit code, crash, another family loaded).</param>
internal sealed record KernelCheck(string Family, bool Passed, string Detail);

/// <summary>
/// The kernel decision for one CPU (model and flags) and one OpenBLAS build, as cached under the user's
/// cache folder so that the child processes run once per machine, not once per command.
/// </summary>
/// <param name="Cpu">The CPU, readable.</param>
/// <param name="CpuIdentity">Vendor, model and every flag: part of the cache key.</param>
/// <param name="OpenBlasLibrary">The OpenBLAS library file (resolved path, size, time): part of the cache key.</param>
/// <param name="OpenBlasConfig">OpenBLAS's build configuration as the probe child reported it (holds the version).</param>
/// <param name="Detected">The family OpenBLAS picks by itself here (null when the probe failed).</param>
/// <param name="Chosen">The family ww sets (null: OpenBLAS's own pick stays).</param>
/// <param name="Reason">What was detected, what was chosen and why.</param>
/// <param name="Checks">The candidates tried, best first.</param>
/// <param name="DecidedAt">When.</param>
internal sealed record KernelVerdict(
    string Cpu,
    string CpuIdentity,
    string OpenBlasLibrary,
    string? OpenBlasConfig,
    string? Detected,
    string? Chosen,
    string Reason,
    IReadOnlyList<KernelCheck> Checks,
    DateTimeOffset DecidedAt);

/// <summary>Kernel verdicts on disk: one JSON file per CPU and OpenBLAS build, written atomically.</summary>
internal sealed class KernelVerdictCache(string folder)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The default place: <c>~/.cache/weightwatcher/openblas-kernel/</c>.</summary>
    public static KernelVerdictCache Default => new(Path.Combine(UserCache.Root, "openblas-kernel"));

    /// <summary>The file of the verdict for this CPU and OpenBLAS build.</summary>
    public string PathFor(string cpuIdentity, string openBlasLibrary) =>
        System.IO.Path.Combine(folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cpuIdentity + "\n" + openBlasLibrary)))[..16] + ".json");

    /// <summary>The stored verdict, or null (absent, unreadable, or for another CPU or build).</summary>
    public KernelVerdict? Load(string cpuIdentity, string openBlasLibrary)
    {
        string path = PathFor(cpuIdentity, openBlasLibrary);
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }
            var verdict = JsonSerializer.Deserialize<KernelVerdict>(File.ReadAllText(path), Json);
            return verdict is not null && verdict.CpuIdentity == cpuIdentity && verdict.OpenBlasLibrary == openBlasLibrary ? verdict : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            Log.Warning("Ignoring the unreadable kernel verdict {Path}: {Reason}", path, e.Message);
            return null;
        }
    }

    /// <summary>Stores <paramref name="verdict"/>; returns its path, or null when the folder is not writable (logged).</summary>
    public string? Save(KernelVerdict verdict)
    {
        string path = PathFor(verdict.CpuIdentity, verdict.OpenBlasLibrary);
        try
        {
            Directory.CreateDirectory(folder);
            string temp = $"{path}.{Environment.ProcessId}.tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(verdict, Json));
            File.Move(temp, path, overwrite: true);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning("Could not cache the kernel verdict in {Folder}: {Reason}; it will be decided again next time", folder, e.Message);
            return null;
        }
    }

    /// <summary>Removes the verdict for this CPU and build (it no longer matches what loads).</summary>
    public void Forget(string cpuIdentity, string openBlasLibrary)
    {
        try
        {
            File.Delete(PathFor(cpuIdentity, openBlasLibrary));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning("Could not remove a stale kernel verdict: {Reason}", e.Message);
        }
    }
}
