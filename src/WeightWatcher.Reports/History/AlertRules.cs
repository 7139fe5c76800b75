using System.Globalization;
using System.Text.RegularExpressions;

namespace WeightWatcher.Reports.History;

/// <summary>How a rule tests a metric.</summary>
public enum AlertRuleKind
{
    /// <summary>Relative change from the previous run beyond a fraction (<c>+10%</c>, <c>-10%</c>, <c>10%</c> either way).</summary>
    Relative,

    /// <summary>Absolute change beyond an amount (<c>+0.5</c>, <c>-0.5</c>, <c>±0.5</c>).</summary>
    Delta,

    /// <summary>The current value beyond a threshold (<c>&gt; 0.2</c>, <c>&lt; 2</c>, <c>&gt;=</c>, <c>&lt;=</c>).</summary>
    Threshold,

    /// <summary><c>alpha_band: left</c>: a layer whose alpha was in [2, 6] is now outside it.</summary>
    BandExit,
}

/// <summary>One alert rule: a metric and a test, as written (<c>alpha_weighted: +10%</c>).</summary>
/// <param name="Metric">A <see cref="RunSnapshot.MetricNames"/> metric, or <c>alpha_band</c>.</param>
/// <param name="Kind">The test.</param>
/// <param name="Direction">+1 rises only, -1 falls only, 0 either way (relative and delta rules).</param>
/// <param name="Operator">For thresholds: <c>&gt;</c>, <c>&gt;=</c>, <c>&lt;</c> or <c>&lt;=</c>.</param>
/// <param name="Value">The fraction (relative), amount (delta) or threshold.</param>
/// <param name="Text">The rule as written, e.g. <c>alpha_weighted: +10%</c>.</param>
public sealed record AlertRule(string Metric, AlertRuleKind Kind, int Direction, string? Operator, double Value, string Text)
{
    /// <summary>The metric of band-exit rules.</summary>
    public const string AlphaBand = "alpha_band";

    /// <summary>The rules used when none are given: alpha and alpha_weighted moving 10% either way, and layers leaving [2, 6].</summary>
    public static IReadOnlyList<AlertRule> Defaults => [Parse("alpha: 10%"), Parse("alpha_weighted: 10%"), Parse("alpha_band: left")];

    private static readonly Regex Relative = new(@"^(?<sign>[+\-±])?\s*(?<v>\d+(\.\d+)?)\s*%$", RegexOptions.CultureInvariant);
    private static readonly Regex Delta = new(@"^(?<sign>[+\-±])\s*(?<v>\d+(\.\d+)?([eE][+\-]?\d+)?)$", RegexOptions.CultureInvariant);
    private static readonly Regex Threshold = new(@"^(?<op>>=|<=|>|<)\s*(?<v>[+\-]?\d+(\.\d+)?([eE][+\-]?\d+)?)$", RegexOptions.CultureInvariant);

    /// <summary>Parses <c>metric: test</c>.</summary>
    /// <exception cref="FormatException">Not a rule, or an unknown metric.</exception>
    public static AlertRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':');
        if (colon <= 0)
        {
            throw new FormatException($"alert rule '{text}': expected 'metric: test' (e.g. 'alpha_weighted: +10%', 'share_alpha_gt_6: > 0.2', 'alpha_band: left')");
        }
        return Parse(text[..colon].Trim(), text[(colon + 1)..].Trim());
    }

    /// <summary>Parses one test of <paramref name="metric"/>.</summary>
    /// <exception cref="FormatException">Not a test, or an unknown metric.</exception>
    public static AlertRule Parse(string metric, string test)
    {
        string text = $"{metric}: {test}";
        if (metric == AlphaBand)
        {
            return test == "left" ? new AlertRule(metric, AlertRuleKind.BandExit, 0, null, 0, text)
                : throw new FormatException($"alert rule '{text}': {AlphaBand} takes 'left'");
        }
        if (!RunSnapshot.MetricNames.Contains(metric))
        {
            throw new FormatException($"alert rule '{text}': unknown metric '{metric}' (known: {string.Join(", ", RunSnapshot.MetricNames)}, {AlphaBand})");
        }
        if (Relative.Match(test) is { Success: true } r)
        {
            return new AlertRule(metric, AlertRuleKind.Relative, Sign(r), null, Number(r) / 100, text);
        }
        if (Delta.Match(test) is { Success: true } d)
        {
            return new AlertRule(metric, AlertRuleKind.Delta, Sign(d), null, Number(d), text);
        }
        if (Threshold.Match(test) is { Success: true } t)
        {
            return new AlertRule(metric, AlertRuleKind.Threshold, 0, t.Groups["op"].Value, Number(t), text);
        }
        throw new FormatException($"alert rule '{text}': the test must be like '+10%', '-5%', '10%', '+0.5', '> 0.2' or '<= 2'");
    }

    /// <summary>
    /// Whether the rule fires for a model's metric going from <paramref name="previous"/> (null: the model
    /// is new, so only thresholds apply) to <paramref name="current"/>. NaN never fires.
    /// </summary>
    public bool Fires(double? previous, double current)
    {
        if (double.IsNaN(current))
        {
            return false;
        }
        switch (Kind)
        {
            case AlertRuleKind.Threshold:
                return Operator switch
                {
                    ">" => current > Value,
                    ">=" => current >= Value,
                    "<" => current < Value,
                    _ => current <= Value,
                };
            case AlertRuleKind.Relative or AlertRuleKind.Delta when previous is { } p && double.IsFinite(p):
                double change = Kind == AlertRuleKind.Delta ? current - p : p == 0 ? (current == 0 ? 0 : double.PositiveInfinity * Math.Sign(current)) : (current - p) / Math.Abs(p);
                return Direction switch
                {
                    > 0 => change > Value,
                    < 0 => change < -Value,
                    _ => Math.Abs(change) > Value,
                };
            default:
                return false;
        }
    }

    private static int Sign(Match m) => m.Groups["sign"].Value switch { "+" => 1, "-" => -1, _ => 0 };

    private static double Number(Match m) => double.Parse(m.Groups["v"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
}
