using System.Diagnostics;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>Runs a system tool (nft, tc, unshare) to the end and returns its exit code and output.</summary>
internal static class HostCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; the output is stdout and stderr together, trimmed.</summary>
    public static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill();
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {Timeout.TotalSeconds:0} s");
        }
        return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
    }

    /// <summary>Runs the command and fails the test with its output when it does not succeed.</summary>
    public static string Check(string file, params string[] args)
    {
        var (code, output) = Run(file, args);
        Assert.True(code == 0, $"{file} {string.Join(' ', args)}: exit {code}: {output}");
        return output;
    }
}
