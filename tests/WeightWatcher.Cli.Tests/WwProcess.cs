using System.Diagnostics;

namespace WeightWatcher.Cli.Tests;

/// <summary>Runs the built <c>ww</c> command as a separate process, as a user would.</summary>
public static class WwProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs <c>dotnet ww.dll args</c> and waits (at most two minutes) for it to exit.</summary>
    public static Result Run(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "ww.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the CLI project must be referenced by the test project");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"ww {string.Join(' ', args)} did not finish within two minutes");
        }
        return new Result(p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
