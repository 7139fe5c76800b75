namespace WeightWatcher.Cli;

/// <summary>The user's cache folder for ww: <c>$XDG_CACHE_HOME/weightwatcher</c>, else <c>~/.cache/weightwatcher</c>.</summary>
internal static class UserCache
{
    /// <summary>The folder (not created here).</summary>
    public static string Root =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "weightwatcher");
}
