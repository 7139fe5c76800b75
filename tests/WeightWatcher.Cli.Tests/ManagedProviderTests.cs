using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Cli.Tests;

/// <summary>
/// Where the native provider cannot be had, the job still runs, and the first line of its output says
/// that the analysis runs on the managed provider, about 30x slower, and the one command that fixes it.
/// </summary>
public sealed class ManagedProviderTests
{
    private const string Notice = "ww: the analysis runs on the managed provider, about 30x slower";

    [Fact]
    public void Analyze_on_the_managed_provider_says_so_first_and_how_to_go_back()
    {
        var env = new Dictionary<string, string> { [OpenBlasSpectralBackend.DisableVariable] = "off" };
        var r = WwProcess.Run(TimeSpan.FromMinutes(3), env, "analyze");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string first = r.Stderr.Split('\n')[0];
        Assert.StartsWith(Notice, first, StringComparison.Ordinal);
        Assert.EndsWith("Fix: unset WW_NATIVE", first.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("alpha", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Zoo_run_says_it_before_anything_else()
    {
        using var dir = new TempDir();
        var env = new Dictionary<string, string> { [OpenBlasSpectralBackend.DisableVariable] = "off", ["XDG_CACHE_HOME"] = dir.Path };
        var r = WwProcess.Run(TimeSpan.FromMinutes(3), env, "zoo", "run", "--store", dir.File("no-such-zoo"));
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith(Notice, r.Stderr.Split('\n')[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ww_built_without_the_provider_runs_and_names_the_packages_to_install()
    {
        // The build output of ww, as on a machine that lacked libopenblas-dev and liblapacke-dev.
        using var copy = new TempDir();
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory))
        {
            if (Path.GetFileName(file) != "libMathNetNumericsOpenBLAS.so")
            {
                File.Copy(file, copy.File(Path.GetFileName(file)));
            }
        }
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(copy.File("ww.dll"));
        psi.ArgumentList.Add("analyze");
        psi.Environment["WW_LAUNCHER"] = "/repo/ww";
        using var p = System.Diagnostics.Process.Start(psi)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var stdout = p.StandardOutput.ReadToEndAsync(timeout.Token);
        string stderr = await p.StandardError.ReadToEndAsync(timeout.Token);
        await p.WaitForExitAsync(timeout.Token);
        Assert.True(p.ExitCode == 0, stderr);
        string first = stderr.Split('\n')[0];
        Assert.StartsWith(Notice, first, StringComparison.Ordinal);
        Assert.Contains("was not built", first, StringComparison.Ordinal);
        Assert.Matches(@"Fix: (sudo )?apt-get install -y libopenblas-dev liblapacke-dev cmake gcc && /repo/ww analyze$", first.TrimEnd());
        Assert.Contains("alpha", await stdout, StringComparison.Ordinal);
    }
}
