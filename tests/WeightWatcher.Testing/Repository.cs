namespace WeightWatcher.Testing;

/// <summary>Locations in the repository, found by walking up from the test output to the solution file.</summary>
public static class Repository
{
    /// <summary>The solution file that marks the repository root.</summary>
    public const string SolutionFile = "WeightWatcher.Cluster.sln";

    private static readonly Lazy<string?> s_root = new(() => FindRoot(AppContext.BaseDirectory));

    /// <summary>The repository root (the folder of the solution file).</summary>
    public static string Root => s_root.Value ?? throw new InvalidOperationException($"{SolutionFile} not found above {AppContext.BaseDirectory}");

    /// <summary>The repository root above <paramref name="start"/>, or null when there is none.</summary>
    /// <param name="start">A folder inside the repository.</param>
    public static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }
        return null;
    }

    /// <summary>Where tests keep artifacts CI publishes: <c>artifacts/test-results/&lt;kind&gt;/</c> (created).</summary>
    /// <param name="kind">The artifact kind, e.g. <c>screenshots</c>.</param>
    public static string ArtifactDirectory(string kind)
    {
        string dir = Path.Combine(Root, "artifacts", "test-results", kind);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
