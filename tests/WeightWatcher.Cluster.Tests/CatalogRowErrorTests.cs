using WeightWatcher.Cluster.Coordination;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A catalog with bad rows (an accuracy that is not a number, a repeated model, a file outside the store, a
/// file another row names): each row is one failure naming its line, and the job goes on with the other rows.
/// </summary>
public sealed class CatalogRowErrorTests
{
    [Fact]
    public void Each_bad_catalog_row_is_one_failure_naming_its_line_and_the_good_rows_make_the_series()
    {
        using var dir = new TempDir();
        TestZoo.Write(dir.Path, withBadInput: false);
        File.WriteAllText(Path.Combine(dir.Path, "models", "zoo.csv"),
            "model,series,top1_acc,file\n" +
            "mlp-a,mlp,71.5,mlp-a.safetensors\n" +
            "mlp-b,mlp,ninety,mlp-b.safetensors\n" +
            "mlp-a,mlp,72,mlp-a.safetensors\n" +
            "evil,mlp,80,../../../etc/passwd\n" +
            "twin,mlp,81,mlp-c.safetensors/\n" +
            "mlp-c,mlp,76.25,mlp-c.safetensors\n" +
            "folder-model,mlp,78,folder-model\n");
        // mlp-c's own row comes after "twin" took its file: the repeated file is the error, on mlp-c's line.
        var run = WwProcess.Run(TimeSpan.FromMinutes(4), null, "zoo", "run", "--store", dir.Path, "--models", "models/", "--no-html");
        Assert.True(run.ExitCode is 0 or 3, $"exit {run.ExitCode}\n{WwProcess.Tail(run.Stderr)}");
        var manifest = ResultFiles.Manifest(Path.Combine(dir.Path, "results"));
        var catalogFailures = manifest.Failures.Where(f => f.Model == ZooFailure.CatalogEntry).Select(f => f.Reason).ToList();
        Assert.Equal(4, catalogFailures.Count);
        Assert.Contains(catalogFailures, r => r.Contains("line 3: ", StringComparison.Ordinal) && r.Contains("'ninety' is not a number", StringComparison.Ordinal));
        Assert.Contains(catalogFailures, r => r.Contains("line 4: ", StringComparison.Ordinal) && r.Contains("already listed on line 2", StringComparison.Ordinal));
        Assert.Contains(catalogFailures, r => r.Contains("line 5: ", StringComparison.Ordinal) && r.Contains("not a path inside the store", StringComparison.Ordinal));
        Assert.Contains(catalogFailures, r => r.Contains("line 7: ", StringComparison.Ordinal) && r.Contains("already listed on line 6", StringComparison.Ordinal));
        // Every model in the store was still analyzed; the series holds the models whose rows were good.
        // (mlp-c's file is named by the "twin" row, which was good, so the model carries that name.)
        Assert.Equal(["folder-model", "mlp-a", "mlp-b", "reference", "twin"], manifest.Models.Select(m => m.Model).Order(StringComparer.Ordinal));
        Assert.All(manifest.Models, m => Assert.True(m.Layers > 0 && m.LayersFailed == 0, $"{m.Model}: {m.Layers} layers, {m.LayersFailed} failed"));
        var series = ResultFiles.Csv(Path.Combine(dir.Path, "results"), "series.csv");
        // Three members with an accuracy (mlp-a, twin, folder-model): mlp-b's row was left out.
        Assert.Contains(series, l => l.StartsWith("mlp,alpha,3,", StringComparison.Ordinal));
    }
}
