using System.CommandLine;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Reports.History;

namespace WeightWatcher.Cli.Commands.Zoo;

/// <summary>The report options of <c>ww zoo run</c>: run retention, alert rules, <c>--fail-on-alert</c>, <c>--no-html</c>.</summary>
internal sealed class ReportOptionSet
{
    public Option<int> KeepRuns { get; } = new("--keep-runs")
    {
        Description = "Runs kept under results/runs/ (older ones are deleted)",
        DefaultValueFactory = _ => 30,
        // At least one run is kept: checked at parse time.
        CustomParser = CliOptions.Checked("--keep-runs", (t, s) => CliOptions.Integer(t, s, 1), () => 1),
    };

    public Option<string[]> Alert { get; } = new("--alert") { Description = "Alert rule 'metric: test', e.g. 'alpha_weighted: +10%', 'share_alpha_gt_6: > 0.2', 'alpha_band: left' (repeatable; replaces the defaults)", AllowMultipleArgumentsPerToken = false };

    public Option<string?> AlertRules { get; } = new("--alert-rules") { Description = "YAML or JSON file mapping metrics to tests (added to --alert rules; together they replace the defaults)" };

    public Option<bool> FailOnAlert { get; } = new("--fail-on-alert") { Description = "Exit 5 when an alert rule fires" };

    public Option<bool> NoHtml { get; } = new("--no-html") { Description = "Do not write the HTML report and its figures" };

    public void AddTo(Command command) => command.AddOptions(KeepRuns, Alert, AlertRules, FailOnAlert, NoHtml);

    /// <summary>The job's report settings.</summary>
    /// <exception cref="CliFailure">A bad rule or rules file (exit code 2).</exception>
    public ZooReportSettings Bind(ParseResult parse)
    {
        var texts = new List<string>();
        try
        {
            foreach (var rule in parse.GetValue(Alert) ?? [])
            {
                texts.Add(AlertRule.Parse(rule).Text);
            }
            if (parse.GetValue(AlertRules) is { } file)
            {
                if (!File.Exists(file))
                {
                    throw new CliFailure(CliErrors.BadInput, $"{file}: no such alert rules file");
                }
                texts.AddRange(AlertRuleFile.Parse(File.ReadAllText(file), file).Select(r => r.Text));
            }
        }
        catch (FormatException e)
        {
            throw new CliFailure(CliErrors.BadInput, e.Message);
        }
        return new ZooReportSettings(parse.GetValue(KeepRuns), texts.Count == 0 ? null : texts, !parse.GetValue(NoHtml));
    }
}
