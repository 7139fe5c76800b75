using System.Diagnostics;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A model file rewritten in place while the job analyzes the zoo (a retraining job writing its checkpoint
/// into the zoo at night): its layers are analyzed from the planned version or not at all. Each layer read
/// after the change fails naming the file, nothing read from the new bytes is stored under the old
/// version's key, the rest of the job goes on, and the next run analyzes the new version.
/// </summary>
public sealed class ModelChangeTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public void A_model_rewritten_during_the_job_fails_clearly_and_the_next_run_analyzes_the_new_version()
    {
        using var zoo = new TempDir();
        TestZoo.Write(zoo.Path, withBadInput: false);
        using var results = new TempDir();
        string[] args = ["zoo", "run", "--store", zoo.Path, "--models", "models/", "--result-store", results.Path, "--no-html"];
        string resultsDir = Path.Combine(results.Path, "results");

        int code;
        string stderr;
        // One layer at a time: when the first result is stored, mlp-b (third in the plan) has not been read yet.
        using (var run = WwProcess.Start(null, [.. args, "--parallel", "1", "--max-in-flight", "1"]))
        {
            var clock = Stopwatch.StartNew();
            while (!run.HasExited && clock.Elapsed < JobTimeout && ResultFiles.StoredLayers(resultsDir) == 0)
            {
                Thread.Sleep(10);
            }
            Assert.False(run.HasExited, "the job ended before the model could be changed");
            // The new checkpoint is copied over the old one in place, as cp does (no .NET file lock to wait for).
            using var retrained = new TempDir();
            Directory.CreateDirectory(Path.Combine(retrained.Path, "models"));
            TestZoo.Retrain(retrained.Path);
            using var cp = Process.Start("cp", [Path.Combine(retrained.Path, "models", "mlp-b.safetensors"), Path.Combine(zoo.Path, "models", "mlp-b.safetensors")]);
            cp.WaitForExit();
            Assert.Equal(0, cp.ExitCode);
            code = run.WaitForExit(JobTimeout);
            stderr = run.Stderr;
        }
        Assert.True(code == 3, $"exit {code}\n{WwProcess.Tail(stderr)}\nlayers stored:\n" + string.Join("\n", ResultFiles.Csv(Path.Combine(results.Path, "results"), "layers.csv").Select(l => l[..Math.Min(60, l.Length)])));
        var manifest = ResultFiles.Manifest(resultsDir);
        var changed = manifest.Failures.Where(f => f.Model == "mlp-b").ToList();
        Assert.Equal(3, changed.Count); // fc1, fc2, fc3: every analyzable layer of mlp-b
        Assert.All(changed, f => Assert.Contains("model file models/mlp-b.safetensors changed while the job ran", f.Reason, StringComparison.Ordinal));
        Assert.Equal(["mlp-b"], manifest.Failures.Select(f => f.Model).Distinct());
        Assert.Contains("failed: mlp-b layer", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(ResultFiles.Csv(resultsDir, "layers.csv"), l => l.StartsWith("mlp-b,", StringComparison.Ordinal));

        // The next run plans the new version: mlp-b's layers are analyzed from it, the others come from the cache.
        var again = WwProcess.Run(JobTimeout, null, args);
        Assert.True(again.ExitCode == 0, $"second run: exit {again.ExitCode}\n{WwProcess.Tail(again.Stderr)}");
        var second = ResultFiles.Manifest(resultsDir);
        Assert.Equal(3, second.Counts.LayersAnalyzed);
        Assert.Empty(second.Failures);
        using var fresh = new TempDir();
        var reference = WwProcess.Run(JobTimeout, null, ["zoo", "run", "--store", zoo.Path, "--models", "models/", "--result-store", fresh.Path, "--no-html"]);
        Assert.Equal(0, reference.ExitCode);
        Assert.Equal(ResultFiles.Csv(Path.Combine(fresh.Path, "results"), "layers.csv"), ResultFiles.Csv(resultsDir, "layers.csv"));
        TestContext.Current.SendDiagnosticMessage($"model rewritten mid-job: {changed.Count} layers failed naming the file, first run exit {code}; next run analyzed {second.Counts.LayersAnalyzed} layers of the new version, tables equal to a fresh run's");
    }
}
