using System.Diagnostics;

namespace WeightWatcher.Cli;

/// <summary>
/// Runs this <c>ww</c> again as a child process (kernel checks, <c>ww bench</c>'s end-to-end runs): with
/// <c>dotnet ww.dll</c> when started that way, else the same executable.
/// </summary>
internal static class SelfProcess
{
    /// <summary>The result of a finished child.</summary>
    /// <param name="ExitCode">Exit code (-1 when killed on timeout).</param>
    /// <param name="Stdout">Standard output.</param>
    /// <param name="Stderr">Standard error.</param>
    /// <param name="Seconds">Wall time of the whole process.</param>
    public sealed record Result(int ExitCode, string Stdout, string Stderr, double Seconds);

    /// <summary>A start description for <c>ww args</c> with redirected output, the environment inherited and then changed by <paramref name="environment"/> (a null value removes a variable).</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        bool viaDotnet = Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        var psi = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (viaDotnet)
        {
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ww.dll"));
        }
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            if (v is null)
            {
                psi.Environment.Remove(k);
            }
            else
            {
                psi.Environment[k] = v;
            }
        }
        return psi;
    }

    /// <summary>Runs <c>ww args</c> to the end, or kills it after <paramref name="timeout"/> (exit code -1).</summary>
    public static Result Run(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(StartInfo(args, environment))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return new Result(-1, stdout.Result, stderr.Result + $"\n(killed after {timeout.TotalSeconds:0} s)", sw.Elapsed.TotalSeconds);
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result, sw.Elapsed.TotalSeconds);
    }
}
