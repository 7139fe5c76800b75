namespace WeightWatcher.Testing;

/// <summary>
/// Locates the project's read-only <c>../shared</c> folder (golden files, zoo, paper data): <c>WW_SHARED</c>
/// when set, else the <c>shared</c> folder beside the repository. Tests that need it call <see cref="Require"/>,
/// which skips them with a visible reason where it is missing, and fails them under <c>CI=true</c>
/// (<see cref="Prerequisite"/>).
/// </summary>
public static class SharedFolder
{
    /// <summary>The environment variable that points at the shared folder.</summary>
    public const string Variable = "WW_SHARED";

    private static readonly Lazy<string?> Root = new(Find);

    /// <summary>The shared folder, or null when absent.</summary>
    public static string? Path => Root.Value;

    /// <summary>The path of <paramref name="relative"/> inside the shared folder; skips (fails under CI) when it is missing.</summary>
    /// <param name="relative">A file or folder inside ../shared.</param>
    public static string Require(string relative)
    {
        Prerequisite.Require(Path is not null, $"../shared is not present on this machine (set {Variable} to its path to run this test)");
        return Prerequisite.RequirePath(System.IO.Path.Combine(Path, relative), $"../shared/{relative}");
    }

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(env))
        {
            // A set but wrong WW_SHARED is not silently replaced by another folder.
            return Directory.Exists(env) ? env : null;
        }
        string? repository = Repository.FindRoot(AppContext.BaseDirectory);
        string? parent = repository is null ? null : Directory.GetParent(repository)?.FullName;
        if (parent is null)
        {
            return null;
        }
        string shared = System.IO.Path.Combine(parent, "shared");
        return Directory.Exists(shared) ? shared : null;
    }
}
