using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// The README's main command, <c>ww zoo run</c> with no arguments: the demo zoo of NuGet-shipped models is
/// materialised (here under a temporary XDG cache folder), analyzed on a one-process cluster, and the
/// second run finds everything in its cache.
/// </summary>
public sealed class DemoZooTests
{
    [Fact]
    public void Zoo_run_without_arguments_analyzes_the_demo_zoo_then_reuses_every_result()
    {
        using var cache = new TempDir();
        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache.Path };
        var first = WwProcess.Run(TimeSpan.FromMinutes(5), env, "zoo", "run");
        Assert.True(first.ExitCode == 0, $"exit {first.ExitCode}\n{first.Stdout}\n{WwProcess.Tail(first.Stderr)}");
        string results = Path.Combine(cache.Path, "weightwatcher", "demo-zoo", "results");
        Assert.Contains(results, first.Stdout, StringComparison.Ordinal);
        var manifest = ResultFiles.Manifest(results);
        Assert.Equal(["all-minilm-l6-v2", "resnet18", "snowflake-arctic-embed-xs", "ww-reference-model"], manifest.Models.Select(m => m.Model));
        Assert.All(manifest.Models, m => Assert.True(m.Layers > 0, $"{m.Model} has no layers"));
        Assert.Empty(manifest.Failures);
        Assert.Equal(manifest.Counts.Layers, manifest.Counts.LayersAnalyzed);
        Assert.Equal(manifest.Counts.Layers + 1, ResultFiles.Csv(results, "layers.csv").Length);
        // The run ends by printing where its HTML report is.
        string entry = Path.Combine(results, "report", "index.html");
        Assert.Equal($"report: {entry}", first.Stdout.TrimEnd().Split('\n')[^1]);
        Assert.True(File.Exists(entry), entry);
        // What computed the spectra, kernel family included, is in the manifest and in the output.
        var backend = Assert.Single(manifest.Backends ?? []);
        Assert.Equal(manifest.Counts.Layers, backend.Layers);
        Assert.Matches(@"^(OpenBLAS \S+, \w+ kernels \((set by OPENBLAS_CORETYPE|chosen by ww|OpenBLAS's own choice)\), double|managed provider \(Math\.NET\), double)$", backend.Backend);
        Assert.Contains($"spectra: {backend.Backend} ({backend.Layers} layers)", first.Stdout, StringComparison.Ordinal);
        // A cluster of one leaves without the leave protocol, and says where its time went.
        Assert.Contains("Last member of the cluster: stopping without the leave protocol", first.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"Zoo run timings: start \d", first.Stderr);

        var second = WwProcess.Run(TimeSpan.FromMinutes(5), env, "zoo", "run");
        Assert.True(second.ExitCode == 0, $"second run: exit {second.ExitCode}\n{WwProcess.Tail(second.Stderr)}");
        var again = ResultFiles.Manifest(results);
        Assert.Equal(0, again.Counts.LayersAnalyzed);
        Assert.Equal(manifest.Counts.Layers, again.Counts.LayersCached);
        Assert.Equal(manifest.Backends ?? [], again.Backends ?? []);
        TestContext.Current.SendDiagnosticMessage($"demo zoo: {manifest.Models.Count} models, {manifest.Counts.Layers} layers, first run {manifest.Timings.Total:F1} s (analysis {manifest.Timings.Analysis:F1} s, report {manifest.Timings.Site:F1} s), second {again.Timings.Total:F1} s (report {again.Timings.Site:F1} s)");
    }
}
