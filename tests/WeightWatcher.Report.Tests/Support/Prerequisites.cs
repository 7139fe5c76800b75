using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Report.Tests.Support;

/// <summary>
/// What some tests need from the machine (../shared, Debian's chromium): they skip with a visible
/// reason where it is missing, and fail under CI=true, where .ci/run installs everything.
/// </summary>
public static class Prerequisites
{
    /// <summary>Debian's Chromium, driven by the browser tests (never a downloaded browser).</summary>
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>True under CI (CI=true).</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A path inside ../shared; skips (fails under CI) when absent.</summary>
    public static string Shared(string relative)
    {
        string? root = SharedFolder.Path;
        string? full = root is null ? null : Path.Combine(root, relative);
        if (full is null || (!File.Exists(full) && !Directory.Exists(full)))
        {
            Missing($"../shared/{relative} is not present on this machine");
        }
        return full!;
    }

    /// <summary>The Chromium executable; skips (fails under CI) when it is not installed.</summary>
    public static string RequireChromium()
    {
        if (!File.Exists(Chromium))
        {
            Missing($"{Chromium} is not installed (apt-get install -y chromium)");
        }
        return Chromium;
    }

    /// <summary>The repository root (the folder holding the solution).</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WeightWatcher.Cluster.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Where tests keep artifacts CI publishes: <c>artifacts/test-results/&lt;kind&gt;/</c>.</summary>
    public static string ArtifactDirectory(string kind)
    {
        string dir = Path.Combine(RepositoryRoot(), "artifacts", "test-results", kind);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void Missing(string reason)
    {
        if (InCi)
        {
            Assert.Fail(reason + " (CI must install it: see .ci/run)");
        }
        Assert.Skip(reason);
    }
}
