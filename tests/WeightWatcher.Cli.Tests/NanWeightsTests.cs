using WeightWatcher.Core.Formats;

namespace WeightWatcher.Cli.Tests;

/// <summary>A layer with NaN weights fails as one line naming file, tensor and reason, in every command.</summary>
public sealed class NanWeightsTests
{
    private static string NanModel(TempDir dir)
    {
        var values = Enumerable.Range(0, 64 * 32).Select(i => (float)Math.Sin(i)).ToArray();
        values[5] = float.NaN;
        string path = dir.File("nan.safetensors");
        SafetensorsWriter.Write(path, [new NamedTensor("fc.weight", [64, 32], values)]);
        return path;
    }

    [Theory]
    [InlineData("esd")]
    [InlineData("esd-plot")]
    [InlineData("analyze")]
    public void A_nan_layer_fails_with_one_error_line_and_exit_3(string command)
    {
        using var dir = new TempDir();
        string model = NanModel(dir);
        string[] args = command switch
        {
            "esd" => ["esd", model, "--layer", "fc"],
            "esd-plot" => ["esd", model, "--layer", "fc", "--plot", dir.File("fc.png")],
            _ => ["analyze", model],
        };
        var r = WwProcess.Run(args);
        Assert.Equal(3, r.ExitCode);
        var errors = r.Stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(errors);
        Assert.Contains(model, error, StringComparison.Ordinal);
        Assert.Contains("fc.weight", error, StringComparison.Ordinal);
        Assert.Contains("NaN", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }
}
