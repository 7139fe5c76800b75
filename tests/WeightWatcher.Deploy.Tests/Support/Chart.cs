using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>The Helm chart's files: Chart.yaml, values.yaml and the template texts.</summary>
public static partial class Chart
{
    /// <summary>values.yaml.</summary>
    public static YamlMappingNode Values => Yaml.LoadMapping(Path.Combine(RepoPaths.Chart, "values.yaml"));

    /// <summary>Chart.yaml.</summary>
    public static YamlMappingNode Metadata => Yaml.LoadMapping(Path.Combine(RepoPaths.Chart, "Chart.yaml"));

    /// <summary>Every file under templates/ (manifests, _helpers.tpl, NOTES.txt, tests/) by path relative to templates/.</summary>
    public static IReadOnlyDictionary<string, string> Templates =>
        Directory.EnumerateFiles(RepoPaths.Templates, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(RepoPaths.Templates, f), File.ReadAllText);

    /// <summary>The text of one template file.</summary>
    public static string Template(string fileName) => File.ReadAllText(Path.Combine(RepoPaths.Templates, fileName));

    /// <summary>The .Values paths a text references (".Values.workers.port" gives "workers.port").</summary>
    public static IEnumerable<string> ValuesReferences(string text) =>
        ValuesReference().Matches(text).Select(m => m.Groups[1].Value.TrimStart('.'));

    [GeneratedRegex(@"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")]
    private static partial Regex ValuesReference();
}
