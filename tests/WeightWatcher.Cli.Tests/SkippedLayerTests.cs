using System.IO.Compression;
using System.Text.Json;
using WeightWatcher.Core.Formats;

namespace WeightWatcher.Cli.Tests;

/// <summary>
/// No silent emptiness: layers that are not analyzed are counted on stderr by reason and listed in
/// <c>--json</c>; a model with nothing to analyze exits 4 with one line saying why.
/// </summary>
public sealed class SkippedLayerTests
{
    private static float[] Values(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
    }

    /// <summary>One analyzable dense layer and four layers skipped for four different reasons.</summary>
    private static string MixedModel(TempDir dir)
    {
        string path = dir.File("mixed.safetensors");
        SafetensorsWriter.Write(path,
        [
            new NamedTensor("a_dense.weight", [64, 32], Values(64 * 32, 1)),
            new NamedTensor("b_norm.weight", [32], Values(32, 2)),
            new NamedTensor("c_conv1d.weight", [16, 8, 3], Values(16 * 8 * 3, 3)),
            new NamedTensor("d_small.weight", [20, 4], Values(80, 4)),
            new NamedTensor("e_row.weight", [1, 40], Values(40, 5)),
        ]);
        return path;
    }

    [Fact]
    public void Analyze_counts_skipped_layers_by_reason_on_stderr_and_lists_them_in_json()
    {
        using var dir = new TempDir();
        string json = dir.File("out.json");
        var r = WwProcess.Run("analyze", MixedModel(dir), "--json", json);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("skipped 4 of 5 layers with weights:", r.Stderr);
        Assert.Contains("1 1-D weights (biases, norm scales)", r.Stderr);
        Assert.Contains("1 tensors of rank other than 2 and 4", r.Stderr);
        Assert.Contains("1 below min_evals", r.Stderr);
        Assert.Contains("1 first dimension below 2", r.Stderr);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var skipped = doc.RootElement.GetProperty("skipped").EnumerateArray()
            .Select(e => (e.GetProperty("name").GetString(), e.GetProperty("reason").GetString()))
            .ToList();
        Assert.Equal(
            [("b_norm", "vector"), ("c_conv1d", "unsupported_rank"), ("d_small", "below_min_evals"), ("e_row", "first_dimension_below_2")],
            skipped);
        Assert.Equal("a_dense", Assert.Single(doc.RootElement.GetProperty("layers").EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public void With_min_evals_1_the_small_layer_is_analyzed_and_no_longer_reported()
    {
        using var dir = new TempDir();
        var r = WwProcess.Run("analyze", MixedModel(dir), "--min-evals", "1");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("skipped 3 of 5 layers with weights:", r.Stderr);
        Assert.DoesNotContain("below min_evals", r.Stderr);
    }

    [Theory]
    [InlineData("analyze")]
    [InlineData("describe")]
    public void A_filter_that_leaves_nothing_exits_4_with_one_line(string command)
    {
        using var dir = new TempDir();
        var r = WwProcess.Run(command, MixedModel(dir), "--layers", "999");
        Assert.Equal(4, r.ExitCode);
        string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no layer to analyze", line);
        Assert.Contains("mixed.safetensors", line);
        Assert.Contains("5 excluded by the layers filter", line);
    }

    [Fact]
    public void A_plain_zip_without_arrays_exits_4_saying_it_holds_no_tensors()
    {
        using var dir = new TempDir();
        string zip = dir.File("plain.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            using var w = new StreamWriter(archive.CreateEntry("notes.txt").Open());
            w.Write("not an array");
        }
        var r = WwProcess.Run("analyze", zip);
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("no layer to analyze: the model holds no tensors", r.Stderr);
    }

    [Fact]
    public void A_model_whose_every_layer_is_skipped_exits_4_with_the_counts()
    {
        using var dir = new TempDir();
        string path = dir.File("vectors.safetensors");
        SafetensorsWriter.Write(path, [new NamedTensor("ln.weight", [32], Values(32, 1)), new NamedTensor("ln2.weight", [32], Values(32, 2))]);
        var r = WwProcess.Run("describe", path);
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("all 2 layers with weights were skipped (2 1-D weights (biases, norm scales))", r.Stderr);
    }
}
