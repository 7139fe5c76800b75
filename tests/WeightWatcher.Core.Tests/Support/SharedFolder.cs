namespace WeightWatcher.Core.Tests.Support;

/// <summary>
/// Locates the project's read-only <c>../shared</c> folder (golden files, zoo, paper data). Tests that
/// need it call <see cref="Require"/>, which skips them with a visible reason on machines without it.
/// </summary>
public static class SharedFolder
{
    private static readonly Lazy<string?> Root = new(Find);

    /// <summary>The shared folder, or null when absent.</summary>
    public static string? Path => Root.Value;

    /// <summary>The path of <paramref name="relative"/> inside the shared folder; skips the test when it is missing.</summary>
    public static string Require(string relative)
    {
        if (Path is null)
        {
            Assert.Skip("../shared is not present on this machine (set WW_SHARED to its path to run this test)");
        }
        string full = System.IO.Path.Combine(Path!, relative);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            Assert.Skip($"{full} is not present on this machine");
        }
        return full;
    }

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("WW_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "WeightWatcher.Cluster.sln")))
        {
            dir = dir.Parent;
        }
        if (dir?.Parent is null)
        {
            return null;
        }
        string shared = System.IO.Path.Combine(dir.Parent.FullName, "shared");
        return Directory.Exists(shared) ? shared : null;
    }
}
