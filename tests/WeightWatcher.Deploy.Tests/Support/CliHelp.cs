using System.Diagnostics;
using System.Text.RegularExpressions;

namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>The options of one <c>ww</c> command as its help prints them: flag name and whether it takes a value.</summary>
public sealed record CommandHelp(string Text, IReadOnlyDictionary<string, bool> Flags);

/// <summary>
/// What the built <c>ww</c> really accepts, learned by running <c>dotnet ww.dll ... --help</c> (ww.dll is in
/// the test output through the project reference): the flags of <c>ww node</c> and <c>ww zoo run</c>,
/// and the environment variables any help text names.
/// </summary>
public static partial class CliHelp
{
    private static readonly Lazy<CommandHelp> s_root = new(() => Load());
    private static readonly Lazy<CommandHelp> s_node = new(() => Load("node"));
    private static readonly Lazy<CommandHelp> s_zooRun = new(() => Load("zoo", "run"));

    /// <summary><c>ww --help</c>.</summary>
    public static CommandHelp Root => s_root.Value;

    /// <summary><c>ww node --help</c>.</summary>
    public static CommandHelp Node => s_node.Value;

    /// <summary><c>ww zoo run --help</c>.</summary>
    public static CommandHelp ZooRun => s_zooRun.Value;

    /// <summary>Environment variables named in the help of ww, ww node and ww zoo run (WW_*, AZURE_*).</summary>
    public static IReadOnlySet<string> EnvironmentVariables =>
        new[] { Root, Node, ZooRun }.SelectMany(h => EnvName().Matches(h.Text).Select(m => m.Value)).ToHashSet();

    /// <summary>The option lines of a help text: "  [-x, ]--flag [&lt;value&gt;]   description".</summary>
    public static IReadOnlyDictionary<string, bool> ParseFlags(string help)
    {
        var flags = new Dictionary<string, bool>(StringComparer.Ordinal);
        bool inOptions = false;
        foreach (var line in help.Split('\n'))
        {
            string trimmed = line.TrimEnd('\r');
            if (trimmed.Length > 0 && !char.IsWhiteSpace(trimmed[0]))
            {
                inOptions = trimmed.StartsWith("Options:", StringComparison.Ordinal);
                continue;
            }
            var m = OptionLine().Match(trimmed);
            if (inOptions && m.Success)
            {
                flags[m.Groups["flag"].Value] = m.Groups["value"].Success;
            }
        }
        return flags;
    }

    private static CommandHelp Load(params string[] command)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "ww.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference src/WeightWatcher.Cli");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var part in command)
        {
            psi.ArgumentList.Add(part);
        }
        psi.ArgumentList.Add("--help");
        // The help must not depend on the environment of the test run.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("WW_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"ww {string.Join(' ', command)} --help did not finish within a minute");
        }
        string text = stdout.GetAwaiter().GetResult();
        Assert.True(p.ExitCode == 0, $"ww {string.Join(' ', command)} --help exited with {p.ExitCode}: {stderr.GetAwaiter().GetResult()}");
        var flags = ParseFlags(text);
        Assert.True(flags.Count > 0 || command.Length == 0, $"no options parsed from the help of ww {string.Join(' ', command)}:\n{text}");
        return new CommandHelp(text, flags);
    }

    [GeneratedRegex(@"^\s{2}(?:-[-\w?]+,\s*)*(?<flag>--[a-z0-9][a-z0-9-]*)(?:\s+(?<value><[^>]+>))?(?:\s{2,}|$)")]
    private static partial Regex OptionLine();

    [GeneratedRegex(@"\b(?:WW|AZURE)_[A-Z0-9_]+\b")]
    private static partial Regex EnvName();
}
