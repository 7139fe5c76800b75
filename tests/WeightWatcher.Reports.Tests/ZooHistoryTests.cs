using System.Text.Json;
using WeightWatcher.Reports.History;

namespace WeightWatcher.Reports.Tests;

/// <summary>
/// Nightly runs as a team runs them, each a real <c>ww zoo run</c> process over the same results folder:
/// three runs with one model retrained between the first two form three runs of history, the second's
/// change section names exactly that model, an alert rule fires on it (exit 5 with --fail-on-alert), the
/// third finds nothing changed, and --keep-runs keeps the newest runs only.
/// </summary>
public sealed class ZooHistoryTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Three_runs_with_one_model_retrained_between_form_history_name_the_change_and_fire_its_alert()
    {
        using var dir = new TempDir();
        TestZoo.Write(dir.Path, withBadInput: false);
        string results = Path.Combine(dir.Path, "results");
        string[] job = ["zoo", "run", "--store", dir.Path, "--models", "models/", "--results", "results/", "--keep-runs", "2", "--fail-on-alert", "--alert", "log_norm: 0%", "--alert", "alpha_band: left"];

        var first = Run(job);
        Assert.True(first.ExitCode == 0, $"first run: exit {first.ExitCode}\n{WwProcess.Tail(first.Stderr)}");
        var firstChanges = Changes(results);
        Assert.Null(firstChanges.PreviousJobId);
        Assert.Empty(firstChanges.Alerts);
        string firstRun = Path.Combine(dir.Path, "first-run");
        Directory.CreateDirectory(firstRun);
        File.Copy(Path.Combine(results, "layers.json"), Path.Combine(firstRun, "layers.json"));

        TestZoo.Retrain(dir.Path);
        var second = Run(job);
        Assert.True(second.ExitCode == 5, $"second run: exit {second.ExitCode} (5 = an alert fired)\n{second.Stdout}\n{WwProcess.Tail(second.Stderr)}");
        var changes = Changes(results);
        Assert.Equal(firstChanges.JobId, changes.PreviousJobId);
        Assert.Equal(["mlp-b"], changes.Retrained);
        Assert.Empty(changes.New);
        Assert.Empty(changes.Removed);
        Assert.Equal(["folder-model", "mlp-a", "mlp-c", "reference"], changes.Unchanged);
        Assert.NotEmpty(changes.Alerts);
        Assert.All(changes.Alerts, a => Assert.Equal("mlp-b", a.Model));
        Assert.Contains("alert: mlp-b: log_norm", second.Stderr, StringComparison.Ordinal);
        using (var alerts = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(results, "alerts.json"))))
        {
            Assert.Equal(changes.Alerts.Count, alerts.RootElement.GetProperty("alerts").GetArrayLength());
        }
        string index = File.ReadAllText(Path.Combine(results, "report", "index.html"));
        Assert.Contains("Retrained (content changed): <a href=\"../runs/", index, StringComparison.Ordinal);
        Assert.Matches("id=\"retrained\">Retrained \\(content changed\\): <a [^>]*>mlp-b</a></li>", index);
        Assert.Contains("class=\"alerts\"", index, StringComparison.Ordinal);
        var secondManifest = ResultFiles.Manifest(results);
        Assert.Equal(3, secondManifest.Counts.LayersAnalyzed); // mlp-b's three layers, nothing else

        var third = Run(job);
        Assert.True(third.ExitCode == 0, $"third run: exit {third.ExitCode}\n{WwProcess.Tail(third.Stderr)}");
        var thirdChanges = Changes(results);
        Assert.Empty(thirdChanges.Retrained);
        Assert.Empty(thirdChanges.Alerts);
        Assert.Equal(0, ResultFiles.Manifest(results).Counts.LayersAnalyzed);

        var history = await RunHistory.ReadAsync(File.ReadAllBytes(Path.Combine(results, "history.parquet")));
        var runs = history.Select(r => r.JobId).Distinct().ToList();
        Assert.Equal([firstChanges.JobId, changes.JobId, thirdChanges.JobId], runs);
        Assert.All(history.Where(r => r.JobId == runs[0]), r => Assert.False(r.Unchanged));
        Assert.All(history.Where(r => r.JobId == runs[1]), r => Assert.Equal(r.Model != "mlp-b", r.Unchanged));
        Assert.All(history.Where(r => r.JobId == runs[2]), r => Assert.True(r.Unchanged));
        Assert.NotEqual(
            history.Single(r => r.JobId == runs[0] && r.Model == "mlp-b" && r.Metric == "log_norm").ContentHash,
            history.Single(r => r.JobId == runs[1] && r.Model == "mlp-b" && r.Metric == "log_norm").ContentHash);
        Assert.Equal(history.Count, File.ReadAllLines(Path.Combine(results, "history.csv")).Length - 1);

        // --keep-runs 2: the first run's folder and snapshot are gone, the newest two remain.
        Assert.Equal([runs[1], runs[2]], Directory.GetDirectories(Path.Combine(results, "runs")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(results, "runs", runs[2], "manifest.json")));
        Assert.True(File.Exists(Path.Combine(results, "runs", runs[2], "report", "index.html")));
        string prom = File.ReadAllText(Path.Combine(results, "metrics.prom"));
        Assert.Contains("ww_job_alerts 0\n", prom, StringComparison.Ordinal);
        Assert.Contains("ww_model_unchanged{model=\"mlp-b\"} 1\n", prom, StringComparison.Ordinal);
        Assert.Contains("ww_job_layers{state=\"cached\"} ", prom, StringComparison.Ordinal);

        // ww diff of the first run and the second: only the retrained model's layers moved.
        var diff = WwProcess.Run("diff", firstRun, Path.Combine(results, "runs", runs[1]), "--json", dir.File("diff.json"));
        Assert.True(diff.ExitCode == 0, diff.Stderr);
        using (var deltas = JsonDocument.Parse(File.ReadAllBytes(dir.File("diff.json"))))
        {
            var moved = deltas.RootElement.EnumerateArray().Where(r => r.GetProperty("delta_log_norm").GetDouble() != 0).Select(r => r.GetProperty("model").GetString()).Distinct();
            Assert.Equal(["mlp-b"], moved);
        }

        // ww report rebuilds the latest run's site from the stored files.
        File.Delete(Path.Combine(results, "report", "index.html"));
        var report = WwProcess.Run("report", results);
        Assert.True(report.ExitCode == 0, report.Stderr);
        Assert.Equal($"report: {Path.Combine(results, "report", "index.html")}", report.Stdout.Trim());
        Assert.Contains(runs[2], File.ReadAllText(Path.Combine(results, "report", "index.html")), StringComparison.Ordinal);
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string[] args) =>
        WwProcess.Run(JobTimeout, new Dictionary<string, string> { ["WW_LOG_LEVEL"] = "Warning" }, args);

    private static ChangeReport Changes(string results) => ChangeReport.FromJson(File.ReadAllBytes(Path.Combine(results, "changes.json")));
}
