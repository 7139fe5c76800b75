namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// The zoo the multi-process fault tests run: the CIFAR ResNet series of ../shared/zoo (linked, since
/// ../shared is read-only, with its catalog) and three generated models, and the tables of a job over it.
/// </summary>
internal static class CifarZoo
{
    /// <summary>Fills <paramref name="folder"/> with the zoo (skips the test, or fails it under CI, without ../shared).</summary>
    public static string Prepare(TempDir folder)
    {
        string cifar = SharedFolder.Require("zoo/cifar10-resnet");
        foreach (var file in Directory.EnumerateFiles(cifar))
        {
            File.CreateSymbolicLink(Path.Combine(folder.Path, Path.GetFileName(file)), file);
        }
        TestZoo.WriteGenerated(folder.Path);
        return folder.Path;
    }
}

/// <summary>The three tables of a finished job (header first), compared line for line between runs.</summary>
internal sealed record JobTables(string[] Layers, string[] Models, string[] Series)
{
    /// <summary>The tables of <paramref name="run"/>, a <c>ww zoo run</c> into <paramref name="resultStore"/>, once it ends with <paramref name="expectedExit"/> (asserted).</summary>
    public static JobTables Of(WwProcess run, string resultStore, TimeSpan timeout, int expectedExit = 0)
    {
        int exit = run.WaitForExit(timeout);
        Assert.True(exit == expectedExit, $"one-process run: exit {exit}\n{WwProcess.Tail(run.Stderr)}");
        return Read(resultStore);
    }

    /// <summary>Layers in the tables.</summary>
    public int LayerCount => Layers.Length - 1;

    /// <summary>Reads the tables of the job whose result store is <paramref name="resultStore"/>.</summary>
    public static JobTables Read(string resultStore)
    {
        string results = Path.Combine(resultStore, "results");
        return new(ResultFiles.Csv(results, "layers.csv"), ResultFiles.Csv(results, "models.csv"), ResultFiles.Csv(results, "series.csv"));
    }

    /// <summary>Layer rows whose key (model, layer) appears more than once.</summary>
    public int DuplicateLayerRows()
    {
        var keys = Layers.Skip(1).Select(l => string.Join(',', l.Split(',').Take(2))).ToList();
        return keys.Count - keys.Distinct(StringComparer.Ordinal).Count();
    }

    /// <summary>Asserts that <paramref name="actual"/> holds exactly these tables (so each layer once).</summary>
    public void AssertSameAs(JobTables actual)
    {
        Assert.Equal(Layers, actual.Layers);
        Assert.Equal(Models, actual.Models);
        Assert.Equal(Series, actual.Series);
        Assert.Equal(0, actual.DuplicateLayerRows());
    }
}
