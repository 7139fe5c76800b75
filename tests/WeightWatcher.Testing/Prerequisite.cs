using System.Diagnostics.CodeAnalysis;

namespace WeightWatcher.Testing;

/// <summary>
/// The one rule for what a test needs from the machine (../shared, the native provider, Azurite, Chromium,
/// helm, node...): where it is missing the test is skipped with a visible reason, except under
/// <c>CI=true</c>, where .ci/run installs everything, so a missing prerequisite fails the test instead.
/// A test therefore cannot pass in CI by not running.
/// </summary>
public static class Prerequisite
{
    /// <summary>The environment variable CI sets; <c>CI=true</c> turns every skip of this class into a failure.</summary>
    public const string CiVariable = "CI";

    /// <summary>True under CI (<c>CI=true</c>, case-insensitive).</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable(CiVariable), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips the calling test (fails it under CI) unless <paramref name="available"/> is true.</summary>
    /// <param name="available">Whether the prerequisite is there.</param>
    /// <param name="reason">What is missing and how to install it; shown as the skip or failure reason.</param>
    public static void Require([DoesNotReturnIf(false)] bool available, string reason)
    {
        if (!available)
        {
            Missing(reason);
        }
    }

    /// <summary>Returns <paramref name="path"/> when that file or folder exists; otherwise skips (fails under CI).</summary>
    /// <param name="path">The file or folder the test needs.</param>
    /// <param name="what">What it is and how to get it, for the reason.</param>
    public static string RequirePath(string path, string what)
    {
        Require(File.Exists(path) || Directory.Exists(path), $"{what} is not present at {path}");
        return path;
    }

    /// <summary>An executable on PATH, or null.</summary>
    /// <param name="name">The executable's file name.</param>
    public static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>The path of executable <paramref name="name"/> on PATH; skips (fails under CI) when there is none.</summary>
    /// <param name="name">The executable's file name.</param>
    /// <param name="install">How to install it, e.g. <c>apt-get install nodejs</c>.</param>
    public static string RequireOnPath(string name, string install)
    {
        string? found = OnPath(name);
        Require(found is not null, $"{name} is not on PATH ({install})");
        return found;
    }

    /// <summary>Debian's Chromium, which the browser tests drive (never a downloaded browser).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The Chromium executable; skips (fails under CI) when it is not installed.</summary>
    public static string RequireChromium() => RequirePath(ChromiumPath, "Chromium (apt-get install -y chromium)");

    /// <summary>Skips the calling test with <paramref name="reason"/>, or fails it under CI.</summary>
    /// <param name="reason">What is missing and how to install it.</param>
    [DoesNotReturn]
    public static void Missing(string reason)
    {
        if (InCi)
        {
            Assert.Fail($"{reason} (CI=true: .ci/run installs this, so missing is a broken setup, not a reason to skip)");
        }
        Assert.Skip(reason);
        throw new InvalidOperationException("unreachable: Assert.Skip throws");
    }
}
