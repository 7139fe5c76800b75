using System.Text.Json;
using WeightWatcher.Core.Synthetic;
using WeightWatcher.Reports.Tests.Support;

namespace WeightWatcher.Reports.Tests;

/// <summary>The figure, report and diff commands as a user runs them (real <c>ww</c> processes).</summary>
public sealed class ReportCommandTests
{
    [Fact]
    public void Analyze_plot_writes_every_view_of_every_layer_and_the_flow_in_both_formats()
    {
        using var dir = new TempDir();
        var run = WwProcess.Run("analyze", "--plot", dir.Path, "--mp-fit", "--randomize");
        Assert.True(run.ExitCode == 0, run.Stderr);
        string[] views = ["esd", "esd2", "esd3", "esd4", "esd5", "mpfit", "randesd", "randesd2"];
        var expected = ReferenceModel.Layers.Select((_, i) => i + 1)
            .SelectMany(id => views.SelectMany(v => new[] { $"ww.layer{id}.{v}.png", $"ww.layer{id}.{v}.svg" }))
            .Concat(["flow.png", "flow.svg"])
            .Order(StringComparer.Ordinal);
        Assert.Equal(expected, Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(Directory.GetFiles(dir.Path, "*.png"), f => Assert.InRange(ImageCompare.InkShare(ImageCompare.Decode(File.ReadAllBytes(f))), 0.03, 0.9));
    }

    [Fact]
    public void Esd_plot_writes_the_log_log_view_to_the_file_and_the_others_beside_it()
    {
        using var dir = new TempDir();
        string file = dir.File("fc.svg");
        var run = WwProcess.Run("esd", "--layer", "2", "--plot", file);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(["fc.esd2.svg", "fc.esd3.svg", "fc.esd4.svg", "fc.esd5.svg", "fc.svg"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("<svg", File.ReadAllText(file), StringComparison.Ordinal);
        Assert.DoesNotContain("eigenvalues (ascending)", run.Stdout, StringComparison.Ordinal);
        var bad = WwProcess.Run("esd", "--layer", "2", "--plot", dir.File("fc.gif"));
        Assert.Equal(2, bad.ExitCode);
    }

    [Fact]
    public void Analyze_report_writes_the_model_page_with_its_layer_pages()
    {
        using var dir = new TempDir();
        var run = WwProcess.Run("analyze", "--report", dir.Path);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains($"Wrote the report", run.Stdout, StringComparison.Ordinal);
        string page = File.ReadAllText(Path.Combine(dir.Path, "models", "reference.html"));
        Assert.Contains("id=\"layer-table\"", page, StringComparison.Ordinal);
        Assert.All(Enumerable.Range(1, ReferenceModel.Layers.Count), id =>
        {
            Assert.True(File.Exists(Path.Combine(dir.Path, "models", "reference", $"layer-{id}.html")));
            Assert.True(File.Exists(Path.Combine(dir.Path, "figures", "layers", $"layer{id}", "esd.svg")));
        });
    }

    [Fact]
    public void Diff_of_two_models_pairs_layers_and_reports_deltas()
    {
        using var dir = new TempDir();
        ReferenceModel.WriteNpz(dir.File("a.npz"));
        WeightWatcher.Core.Formats.NumpyWriter.WriteNpz(dir.File("b.npz"), ReferenceModel.Tensors().Take(3));
        var run = WwProcess.Run("diff", dir.File("a.npz"), dir.File("b.npz"), "--json", dir.File("d.json"), "--csv", dir.File("d.csv"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("3 layers in both, 2 only in A, 0 only in B", run.Stdout, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(dir.File("d.json")));
        var rows = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(5, rows.Count);
        Assert.All(rows.Where(r => r.GetProperty("status").GetString() == "both"), r => Assert.Equal(0, r.GetProperty("delta_alpha").GetDouble()));
        Assert.Equal(6, File.ReadAllLines(dir.File("d.csv")).Length);
    }
}
