using System.Diagnostics;

namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>What a finished process gave: exit code and both outputs.</summary>
public sealed record ProcResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Both outputs, for failure messages.</summary>
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Tail(Stdout)}\nstderr:\n{Tail(Stderr)}";

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(40));
}

/// <summary>Runs a program to its end with a timeout (helm, node, bash, podman).</summary>
public static class Proc
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; fails the test (after killing it) on timeout.</summary>
    public static ProcResult Run(string file, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? env = null, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        using var p = Process.Start(psi)!;
        // A script may leave a daemon running with its output in a log file, so these pipes close.
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }
        p.WaitForExit();
        return new ProcResult(p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
