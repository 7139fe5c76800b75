using System.Text.RegularExpressions;
using WeightWatcher.Reports.History;

namespace WeightWatcher.Reports.Tests;

/// <summary>Alert rules, change reports, the history table and the Prometheus text.</summary>
public sealed class HistoryTests
{
    private static ModelSnapshot Model(string name, string hash, double alpha, double alphaWeighted, params (int Id, double Alpha)[] layers) =>
        new(name, hash, "s", new Dictionary<string, double> { ["alpha"] = alpha, ["alpha_weighted"] = alphaWeighted, ["share_alpha_gt_6"] = layers.Count(l => l.Alpha > 6) / (double)Math.Max(1, layers.Length) },
            layers.ToDictionary(l => l.Id, l => l.Alpha));

    [Theory]
    [InlineData("alpha_weighted: +10%", 1.0, 1.11, true)]
    [InlineData("alpha_weighted: +10%", 1.0, 1.09, false)]
    [InlineData("alpha_weighted: +10%", 1.0, 0.5, false)]
    [InlineData("alpha_weighted: -10%", 1.0, 0.89, true)]
    [InlineData("alpha: 10%", -2.0, -2.3, true)]
    [InlineData("alpha: ±10%", 4.0, 4.2, false)]
    [InlineData("alpha: +0.5", 4.0, 4.6, true)]
    [InlineData("alpha: ±0.5", 4.0, 3.4, true)]
    [InlineData("share_alpha_gt_6: > 0.2", 0.0, 0.25, true)]
    [InlineData("share_alpha_gt_6: > 0.2", 0.0, 0.2, false)]
    [InlineData("alpha: <= 2", 3.0, 2.0, true)]
    public void A_rule_fires_exactly_beyond_its_threshold(string rule, double previous, double current, bool fires) =>
        Assert.Equal(fires, AlertRule.Parse(rule).Fires(previous, current));

    [Fact]
    public void Change_rules_need_a_previous_value_thresholds_do_not()
    {
        Assert.False(AlertRule.Parse("alpha: 1%").Fires(null, 5));
        Assert.True(AlertRule.Parse("alpha: > 4").Fires(null, 5));
        Assert.False(AlertRule.Parse("alpha: > 4").Fires(null, double.NaN));
    }

    [Theory]
    [InlineData("alpha 10%")]
    [InlineData("nonsense: 10%")]
    [InlineData("alpha: ten percent")]
    [InlineData("alpha_band: right")]
    public void Bad_rules_are_refused_with_the_reason(string rule) =>
        Assert.Throws<FormatException>(() => AlertRule.Parse(rule));

    [Fact]
    public void Rule_files_are_read_as_YAML_or_JSON()
    {
        var yaml = AlertRuleFile.Parse("alpha_weighted: +10%\nshare_alpha_gt_6: \"> 0.2\"\nalpha: [\"-5%\", \"< 2\"]\nalpha_band: left\n", "rules.yaml");
        Assert.Equal(["alpha_weighted: +10%", "share_alpha_gt_6: > 0.2", "alpha: -5%", "alpha: < 2", "alpha_band: left"], yaml.Select(r => r.Text));
        var json = AlertRuleFile.Parse("{\"alpha_weighted\": \"+10%\", \"alpha\": [\"> 6\"]}", "rules.json");
        Assert.Equal(["alpha_weighted: +10%", "alpha: > 6"], json.Select(r => r.Text));
        var e = Assert.Throws<FormatException>(() => AlertRuleFile.Parse("- alpha: 10%", "list.yaml"));
        Assert.Contains("list.yaml", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Changes_name_new_removed_retrained_and_unchanged_models_and_the_rules_that_fired()
    {
        var before = new RunSnapshot("20260101-000000-a", DateTimeOffset.UnixEpoch, [Model("kept", "h1", 3.0, 1.0, (1, 3.0), (2, 5.0)), Model("gone", "h2", 3, 1), Model("moved", "h3", 3.0, 1.0, (1, 3.0), (2, 5.5))]);
        var after = new RunSnapshot("20260102-000000-b", DateTimeOffset.UnixEpoch, [Model("kept", "h1", 3.0, 1.0, (1, 3.0), (2, 5.0)), Model("moved", "h4", 3.1, 1.2, (1, 3.0), (2, 6.5)), Model("fresh", "h5", 3, 1)]);
        var changes = ChangeReport.Compare(before, after, AlertRule.Defaults);
        Assert.Equal("20260101-000000-a", changes.PreviousJobId);
        Assert.Equal(["fresh"], changes.New);
        Assert.Equal(["gone"], changes.Removed);
        Assert.Equal(["moved"], changes.Retrained);
        Assert.Equal(["kept"], changes.Unchanged);
        // alpha moved 3.3% (under the default 10%), alpha_weighted 20%, and layer 2 left [2, 6].
        Assert.Equal([("moved", "alpha_weighted"), ("moved", "alpha_band")], changes.Alerts.Select(a => (a.Model, a.Metric)));
        Assert.Contains("layer 2: 5.5 → 6.5", changes.Alerts[1].Detail, StringComparison.Ordinal);
        var roundTrip = ChangeReport.FromJson(changes.ToJson());
        Assert.Equal(changes.Alerts, roundTrip.Alerts);
        Assert.Equal(changes.Retrained, roundTrip.Retrained);
        var first = ChangeReport.Compare(null, after, AlertRule.Defaults);
        Assert.Null(first.PreviousJobId);
        Assert.Equal(["fresh", "kept", "moved"], first.New);
        Assert.Empty(first.Alerts);
    }

    [Fact]
    public async Task History_accumulates_runs_and_replaces_a_rerun_of_the_same_job()
    {
        var one = new RunSnapshot("j1", DateTimeOffset.Parse("2026-01-01T00:00:00Z"), [Model("m", "h1", 3, 1)]);
        var two = new RunSnapshot("j2", DateTimeOffset.Parse("2026-01-02T00:00:00Z"), [Model("m", "h1", 3, 1), Model("n", "h9", 4, double.NaN)]);
        var (p1, _, _) = await RunHistory.AppendAsync([], RunHistory.RowsOf(one, null));
        var (p2, csv, _) = await RunHistory.AppendAsync(await RunHistory.ReadAsync(p1), RunHistory.RowsOf(two, one));
        var (p3, _, _) = await RunHistory.AppendAsync(await RunHistory.ReadAsync(p2), RunHistory.RowsOf(two, one));
        var rows = await RunHistory.ReadAsync(p3);
        using (var stream = new MemoryStream(p3))
        {
            var schema = await Parquet.ParquetReader.ReadSchemaAsync(stream);
            Assert.Equal(RunHistory.Columns, schema.DataFields.Select(f => f.Name));
        }
        Assert.Equal(["j1", "j2"], rows.Select(r => r.JobId).Distinct());
        Assert.Equal(3 + 6, rows.Count);
        Assert.All(rows.Where(r => r.JobId == "j2" && r.Model == "m"), r => Assert.True(r.Unchanged));
        Assert.All(rows.Where(r => r.Model == "n"), r => Assert.False(r.Unchanged));
        Assert.Null(rows.Single(r => r.Model == "n" && r.Metric == "alpha_weighted").Value);
        var lines = System.Text.Encoding.UTF8.GetString(csv).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(",", RunHistory.Columns), lines[0]);
        Assert.Equal(1 + 9, lines.Length);
    }

    [Fact]
    public void Prometheus_text_is_well_formed_and_escapes_labels()
    {
        var run = new RunSnapshot("j", DateTimeOffset.UnixEpoch, [Model("a\"b\\c\nd", "h", 3.5, double.NaN)]);
        var changes = ChangeReport.Compare(null, run, []);
        var totals = new JobTotals("j", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), 1, 0, 5, 2, 1, [("analysis", 1.25)]);
        string text = System.Text.Encoding.UTF8.GetString(PrometheusText.Render(run, changes, totals));
        var sample = new Regex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*=""([^""\\\n]|\\[""\\n])*"",?)*\})? (NaN|[+-]Inf|-?\d+(\.\d+)?([eE][+-]?\d+)?)$");
        var declared = new HashSet<string>();
        foreach (var line in text.Split('\n').Where(l => l.Length > 0))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                declared.Add(line.Split(' ')[2]);
                continue;
            }
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                continue;
            }
            Assert.Matches(sample, line);
            Assert.Contains(line[..line.IndexOfAny(['{', ' '])], declared);
        }
        Assert.Contains("ww_model_metric{model=\"a\\\"b\\\\c\\nd\",series=\"s\",metric=\"alpha\"} 3.5", text, StringComparison.Ordinal);
        Assert.Contains("ww_model_metric{model=\"a\\\"b\\\\c\\nd\",series=\"s\",metric=\"alpha_weighted\"} NaN", text, StringComparison.Ordinal);
        Assert.Contains("ww_job_layers{state=\"cached\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("ww_job_duration_seconds{phase=\"analysis\"} 1.25", text, StringComparison.Ordinal);
        Assert.Contains("ww_job_finished_timestamp_seconds{job_id=\"j\"} 1700000000", text, StringComparison.Ordinal);
    }
}
