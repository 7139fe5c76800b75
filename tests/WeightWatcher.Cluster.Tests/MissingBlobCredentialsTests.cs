using System.Diagnostics;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// <c>ww zoo run --store az://...</c> without a connection string: no emulator is started or needed (no
/// Azurite fixture here), the run fails fast with a one-line error naming the variables to set.
/// </summary>
public sealed class MissingBlobCredentialsTests
{
    [Fact]
    public void Missing_credentials_are_a_one_line_error_naming_the_variables_without_any_emulator()
    {
        var env = new Dictionary<string, string>
        {
            [StoreFactory.ConnectionStringVariable] = "",
            [StoreFactory.AzureConnectionStringVariable] = "",
            ["WW_LOG_LEVEL"] = "Warning",
        };
        var clock = Stopwatch.StartNew();
        var run = WwProcess.Run(TimeSpan.FromMinutes(1), env, "zoo", "run", "--store", "az://nothing-here");
        clock.Stop();

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(StoreFactory.ConnectionStringVariable, run.Stderr, StringComparison.Ordinal);
        Assert.Contains(StoreFactory.AzureConnectionStringVariable, run.Stderr, StringComparison.Ordinal);
        // Fast: nothing is contacted; the time is the process start (generous for a loaded 2-core machine).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed.TotalSeconds:0.0} s:\n{run.Stderr}");
    }
}
