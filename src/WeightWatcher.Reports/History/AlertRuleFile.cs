using YamlDotNet.RepresentationModel;

namespace WeightWatcher.Reports.History;

/// <summary>
/// Alert rules from a small file: a YAML mapping (JSON objects are YAML too) of metric to a test or a
/// list of tests, e.g. <c>alpha_weighted: +10%</c>, <c>share_alpha_gt_6: "&gt; 0.2"</c>,
/// <c>alpha: [+10%, "&lt; 2"]</c>, <c>alpha_band: left</c>.
/// </summary>
public static class AlertRuleFile
{
    /// <summary>Parses the rules in <paramref name="text"/> (<paramref name="source"/> names it in errors).</summary>
    /// <exception cref="FormatException">Not a mapping of metrics to tests, or a bad rule.</exception>
    public static IReadOnlyList<AlertRule> Parse(string text, string source)
    {
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new FormatException($"{source}: not YAML or JSON: {e.Message}");
        }
        if (yaml.Documents.Count == 0)
        {
            return [];
        }
        if (yaml.Documents[0].RootNode is not YamlMappingNode map)
        {
            throw new FormatException($"{source}: expected a mapping of metric to test, e.g. 'alpha_weighted: +10%'");
        }
        var rules = new List<AlertRule>();
        foreach (var (key, value) in map.Children)
        {
            string metric = ((YamlScalarNode)key).Value ?? "";
            var tests = value switch
            {
                YamlScalarNode s => [s.Value ?? ""],
                YamlSequenceNode seq => seq.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList(),
                _ => throw new FormatException($"{source}: '{metric}': expected a test or a list of tests"),
            };
            foreach (var test in tests)
            {
                try
                {
                    rules.Add(AlertRule.Parse(metric, test.Trim()));
                }
                catch (FormatException e)
                {
                    throw new FormatException($"{source}: {e.Message}");
                }
            }
        }
        return rules;
    }
}
