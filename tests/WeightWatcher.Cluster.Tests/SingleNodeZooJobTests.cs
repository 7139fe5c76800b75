using WeightWatcher.Cluster.Tests.Support;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Reports;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// <c>ww zoo run</c> as a user runs it, in a real child process (a one-process Akka.NET cluster over a
/// local folder store): bad input is reported and nothing else lost, the layer table equals what
/// <c>ww analyze</c>'s engine computes for each model, and re-runs are incremental.
/// </summary>
public sealed class SingleNodeZooJobTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public void A_new_job_hands_out_no_layer_before_its_minimum_of_workers_is_up()
    {
        using var dir = new TempDir();
        TestZoo.Write(dir.Path);
        // A one-process cluster has one worker: a job that wants two plans, then waits, analyzing nothing.
        using var run = WwProcess.Start(null, "zoo", "run", "--store", dir.Path, "--models", "models/", "--results", "results/", "--min-workers", "2");
        const string waiting = "waiting for 2 workers (1 up)";
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!run.Stderr.Contains(waiting, StringComparison.Ordinal) && !run.HasExited && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(200);
        }
        Assert.True(run.Stderr.Contains(waiting, StringComparison.Ordinal), WwProcess.Tail(run.Stderr));
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.False(run.HasExited, WwProcess.Tail(run.Stderr));
        Assert.Contains(" Analyzing: models 0/", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"layers [1-9]\d*/", run.Stderr);
        run.Kill();
    }

    [Fact]
    public void Job_over_a_zoo_with_bad_input_completes_lists_each_failure_and_matches_the_analyzer()
    {
        using var dir = new TempDir();
        TestZoo.Write(dir.Path);
        var run = WwProcess.Run(JobTimeout, null, "zoo", "run", "--store", dir.Path, "--models", "models/", "--results", "results/");
        Assert.True(run.ExitCode == 3, $"exit {run.ExitCode} (3 = finished with failures expected)\n{run.Stdout}\n{WwProcess.Tail(run.Stderr)}");
        string results = Path.Combine(dir.Path, "results");
        Assert.Contains(results, run.Stdout, StringComparison.Ordinal);

        var manifest = ResultFiles.Manifest(results);
        Assert.Contains(manifest.Failures, f => f.Model == "corrupt" && f.Reason.Contains("corrupt.safetensors", StringComparison.Ordinal));
        Assert.Contains(manifest.Failures, f => f.Model == "notes" && f.Reason.Contains("unrecognised", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(manifest.Failures, f => f.Model == "empty" && f.Reason.Contains("empty folder", StringComparison.Ordinal));
        Assert.Contains(manifest.Failures, f => f.Model == "ghost" && f.Reason.Contains("no such model", StringComparison.Ordinal));
        Assert.Contains(manifest.Failures, f => f.Model == "vectors" && f.Reason.Contains("no layer to analyze: all 1 layers with weights were skipped (1 1-D weights", StringComparison.Ordinal));
        Assert.Equal(TestZoo.BadModels.Order(StringComparer.Ordinal), manifest.Failures.Select(f => f.Model).Order(StringComparer.Ordinal));
        // Each safetensors model has a 1-D ln.weight, reported as skipped; the reference model's five layers are all analyzed.
        Assert.All(manifest.Models, m => Assert.Equal(
            m.Model == "reference" ? (0, "") : (1, "1 1-D weights (biases, norm scales)"),
            (m.LayersSkipped, m.Skipped)));
        Assert.Contains("models/README.md", manifest.Ignored);
        Assert.Equal(TestZoo.GoodModels.Keys.Order(StringComparer.Ordinal), manifest.Models.Select(m => m.Model));
        Assert.All(manifest.Models, m => Assert.Equal(64, m.ContentHash.Length));

        var options = new AnalysisOptions();
        var layers = ResultFiles.Csv(results, "layers.csv");
        Assert.Equal("model," + string.Join(",", LayerTable.AnalyzeColumns(options)), layers[0]);
        var expected = new List<string>();
        var backend = SpectralBackends.Create(SpectralPrecision.Double, out _);
        if (backend is OpenBlasSpectralBackend)
        {
            OpenBlasSpectralBackend.Threads = 1;
        }
        var analyzer = new Analyzer(backend, 1);
        foreach (var (model, file) in TestZoo.GoodModels.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using var reader = ModelOpener.Open(Path.Combine(dir.Path, "models", file));
            var result = analyzer.Analyze(reader, options);
            Assert.Empty(result.Failures);
            var columns = LayerTable.AnalyzeColumns(options);
            expected.AddRange(result.Rows.Select(r => model + "," + string.Join(",", columns.Select(c => CellFormatter.CsvField(CellFormatter.Format(LayerTable.Value(r, c)))))));
        }
        Assert.Equal(expected, layers.Skip(1));
        Assert.Equal(expected.Count, manifest.Counts.LayersAnalyzed);

        var models = ResultFiles.Csv(results, "models.csv");
        Assert.Equal(TestZoo.GoodModels.Count + 1, models.Length);
        var series = ResultFiles.Csv(results, "series.csv");
        Assert.Contains(series, l => l.StartsWith("mlp,alpha,3,", StringComparison.Ordinal));
        foreach (var name in new[] { "layers.json", "models.json", "series.json", "layers.parquet", "models.parquet" })
        {
            Assert.True(new FileInfo(Path.Combine(results, name)).Length > 0, $"{name} is missing or empty");
        }
    }

    [Fact]
    public void Second_run_analyzes_no_layer_and_a_retrained_model_only_its_own()
    {
        using var dir = new TempDir();
        TestZoo.Write(dir.Path, withBadInput: false);
        string[] args = ["zoo", "run", "--store", dir.Path, "--models", "models/"];
        string results = Path.Combine(dir.Path, "results");

        var first = WwProcess.Run(JobTimeout, null, args);
        Assert.True(first.ExitCode == 0, $"first run: exit {first.ExitCode}\n{WwProcess.Tail(first.Stderr)}");
        var m1 = ResultFiles.Manifest(results);
        var layers1 = ResultFiles.Csv(results, "layers.csv");
        Assert.True(m1.Counts.LayersAnalyzed > 0);
        Assert.Equal(0, m1.Counts.LayersCached);
        string plans = Path.Combine(results, "state", "plans.json");
        Assert.True(File.Exists(plans), "the plan index was not written");
        var planned = File.GetLastWriteTimeUtc(plans);

        var second = WwProcess.Run(JobTimeout, null, args);
        Assert.True(second.ExitCode == 0, $"second run: exit {second.ExitCode}\n{WwProcess.Tail(second.Stderr)}");
        var m2 = ResultFiles.Manifest(results);
        Assert.Equal(0, m2.Counts.LayersAnalyzed);
        Assert.Equal(m1.Counts.Layers, m2.Counts.LayersCached);
        Assert.Equal(0, m2.Counts.HashesComputed);
        Assert.Equal(layers1, ResultFiles.Csv(results, "layers.csv"));
        // Every model's layers came from the plan index: none was planned from its headers again.
        Assert.Equal(planned, File.GetLastWriteTimeUtc(plans));
        TestContext.Current.SendDiagnosticMessage($"incremental re-run: first {m1.Timings.Total:F2} s ({m1.Counts.LayersAnalyzed} layers), second {m2.Timings.Total:F2} s (0 layers analyzed)");

        TestZoo.Retrain(dir.Path);
        var third = WwProcess.Run(JobTimeout, null, args);
        Assert.True(third.ExitCode == 0, $"third run: exit {third.ExitCode}\n{WwProcess.Tail(third.Stderr)}");
        var m3 = ResultFiles.Manifest(results);
        Assert.NotEqual(planned, File.GetLastWriteTimeUtc(plans)); // the retrained model was planned anew
        var retrained = m3.Models.Single(m => m.Model == "mlp-b");
        Assert.Equal(retrained.Layers, m3.Counts.LayersAnalyzed);
        Assert.Equal(retrained.Layers, retrained.LayersAnalyzed);
        Assert.All(m3.Models.Where(m => m.Model != "mlp-b"), m => Assert.Equal(m.Layers, m.LayersCached));
        Assert.NotEqual(m1.Models.Single(m => m.Model == "mlp-b").ContentHash, retrained.ContentHash);
        var layers3 = ResultFiles.Csv(results, "layers.csv");
        Assert.Equal(layers1.Where(l => !l.StartsWith("mlp-b,", StringComparison.Ordinal)), layers3.Where(l => !l.StartsWith("mlp-b,", StringComparison.Ordinal)));
        Assert.NotEqual(layers1.Where(l => l.StartsWith("mlp-b,", StringComparison.Ordinal)), layers3.Where(l => l.StartsWith("mlp-b,", StringComparison.Ordinal)));
    }
}
