using Serilog;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Cli.Native;

/// <summary>
/// Says, once and as the first line of a command's output, that the analysis runs on Math.NET's managed
/// provider, about 30x slower than the native one, and the one command that fixes it.
/// </summary>
internal static class BackendNotice
{
    /// <summary>Set by <c>./ww</c> to its own path, so that the fix can rerun the same command through it.</summary>
    public const string LauncherVariable = "WW_LAUNCHER";

    private static int _printed;
    private static string[] _args = [];

    /// <summary>The command line of this process (quoted into the fix).</summary>
    public static void Remember(string[] args) => _args = args;

    /// <summary>Prints the notice to stderr when the native provider is not available (at most once per process).</summary>
    public static void PrintIfManaged()
    {
        if (OpenBlasSpectralBackend.IsAvailable || Interlocked.Exchange(ref _printed, 1) == 1)
        {
            return;
        }
        string fix = FixCommand(OpenBlasSpectralBackend.UnavailableReason ?? "");
        Console.Error.WriteLine($"ww: the analysis runs on the managed provider, about 30x slower, because {OpenBlasSpectralBackend.UnavailableReason}. Fix: {fix}");
        Log.Information("Managed spectral provider in use: {Reason}; fix: {Fix}", OpenBlasSpectralBackend.UnavailableReason, fix);
    }

    /// <summary>The one command that gives this machine the native provider, for the reason it is missing.</summary>
    public static string FixCommand(string reason)
    {
        if (reason.StartsWith(OpenBlasSpectralBackend.DisableVariable, StringComparison.Ordinal))
        {
            return $"unset {OpenBlasSpectralBackend.DisableVariable}";
        }
        if (!OperatingSystem.IsLinux())
        {
            return "none on this system: the native provider is built for Linux with Debian/Ubuntu's OpenBLAS packages; run ww there";
        }
        string sudo = Environment.UserName == "root" ? "" : "sudo ";
        bool built = File.Exists(Path.Combine(AppContext.BaseDirectory, "libMathNetNumericsOpenBLAS.so"));
        if (built)
        {
            // The provider is here but its OpenBLAS/LAPACKE runtime libraries are not.
            return $"{sudo}apt-get install -y libopenblas0-pthread liblapacke";
        }
        // ./ww rebuilds with the native provider once the packages are there.
        string? launcher = Environment.GetEnvironmentVariable(LauncherVariable) is { Length: > 0 } l ? l : null;
        string rerun = $"{launcher ?? "./ww"} {string.Join(' ', _args.Select(Quote))}".TrimEnd();
        return $"{sudo}apt-get install -y libopenblas-dev liblapacke-dev cmake gcc && {rerun}{(launcher is null ? " (in the repository)" : "")}";
    }

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_./=:,@".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
}
