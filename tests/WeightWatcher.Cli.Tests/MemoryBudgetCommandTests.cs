using WeightWatcher.Core.Formats;

namespace WeightWatcher.Cli.Tests;

/// <summary><c>--max-memory</c>: a layer that cannot fit the budget alone fails with the figures; bad sizes fail at parse time.</summary>
public sealed class MemoryBudgetCommandTests
{
    [Fact]
    public void A_layer_larger_than_the_budget_fails_alone_with_the_figures_and_the_rest_is_analyzed()
    {
        using var dir = new TempDir();
        string path = dir.File("big.safetensors");
        var rng = new Random(3);
        SafetensorsWriter.Write(path,
        [
            new NamedTensor("big.weight", [2100, 2100], Enumerable.Range(0, 2100 * 2100).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()),
            new NamedTensor("small.weight", [64, 48], Enumerable.Range(0, 64 * 48).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()),
        ]);
        var r = WwProcess.Run("analyze", path, "--max-memory", "64M", "--csv", dir.File("out.csv"));
        Assert.True(r.ExitCode == 3, $"exit {r.ExitCode}\n{r.Stderr}");
        var error = Assert.Single(r.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("big.weight", error, StringComparison.Ordinal);
        Assert.Contains("more than the memory budget of 64 MB (--max-memory)", error, StringComparison.Ordinal);
        Assert.Contains(File.ReadAllLines(dir.File("out.csv")), l => l.Contains("small", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("10K")]
    [InlineData("lots")]
    [InlineData("-4G")]
    public void A_bad_size_is_refused_at_parse_time(string size)
    {
        var r = WwProcess.Run("analyze", "--max-memory", size);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--max-memory must be a size of at least 64M", r.Stderr, StringComparison.Ordinal);
    }
}
