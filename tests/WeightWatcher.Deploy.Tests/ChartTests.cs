using System.Globalization;
using System.Text.RegularExpressions;
using WeightWatcher.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace WeightWatcher.Deploy.Tests;

/// <summary>The Helm chart: metadata, documented defaults, and values and templates that refer to each other.</summary>
public sealed class ChartTests
{
    [Fact]
    public void Chart_yaml_names_the_chart_and_its_versions()
    {
        var chart = Chart.Metadata;
        Assert.Equal("v2", chart.Scalar("apiVersion"));
        Assert.Equal("weightwatcher-cluster", chart.Scalar("name"));
        Assert.Equal("weightwatcher-cluster", Path.GetFileName(RepoPaths.Chart));
        Assert.Equal("application", chart.Scalar("type"));
        Assert.Matches(@"^\d+\.\d+\.\d+$", chart.Scalar("version"));
        Assert.Matches(@"^\d+\.\d+\.\d+$", chart.Scalar("appVersion"));
    }

    [Fact]
    public void Values_have_the_documented_defaults()
    {
        var v = Chart.Values;
        Assert.Equal("3", v.Scalar("workers.replicas"));
        Assert.Equal("4053", v.Scalar("workers.port"));
        Assert.Equal("2", v.Scalar("workers.parallel"));
        int minWorkers = int.Parse(v.Scalar("workers.minWorkers"), CultureInfo.InvariantCulture);
        Assert.InRange(minWorkers, 1, int.Parse(v.Scalar("workers.replicas"), CultureInfo.InvariantCulture));
        Assert.Equal("5s", v.Scalar("splitBrain.stableAfter"));
        Assert.Equal("0 2 * * *", v.Scalar("job.schedule"));
        Assert.Equal(5, v.Scalar("job.schedule").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal("true", v.Scalar("job.enabled"));
        Assert.Equal("models/", v.Scalar("job.modelsPrefix"));
        Assert.Equal("results/", v.Scalar("job.resultsPrefix"));
        Assert.True(int.Parse(v.Scalar("job.activeDeadlineSeconds"), CultureInfo.InvariantCulture) > 0);
        Assert.IsType<YamlSequenceNode>(v.At("job.extraArgs"));
        Assert.StartsWith("az://", v.Scalar("store.spec"));
        Assert.NotEmpty(v.Scalar("store.connectionSecret.name"));
        Assert.NotEmpty(v.Scalar("store.connectionSecret.key"));
        Assert.NotEmpty(v.Scalar("image.repository"));
        Assert.Contains(v.Scalar("image.pullPolicy"), new[] { "Always", "IfNotPresent", "Never" });
        Assert.Equal("Information", v.Scalar("logLevel"));
        Assert.IsType<YamlMappingNode>(v.At("workers.resources.requests"));
    }

    [Fact]
    public void Staging_volume_holds_what_a_worker_stages()
    {
        // ZooHost gives each member's staging a 20 GiB budget; an emptyDir smaller than that gets the pod evicted.
        long limit = Quantity(Chart.Values.Scalar("workers.staging.sizeLimit"));
        Assert.True(limit >= 20L << 30, $"workers.staging.sizeLimit {limit} bytes is below ww's 20 GiB staging budget");
    }

    [Fact]
    public void Disruption_budget_keeps_the_split_brain_majority()
    {
        var v = Chart.Values;
        int replicas = int.Parse(v.Scalar("workers.replicas"), CultureInfo.InvariantCulture);
        int maxUnavailable = int.Parse(v.Scalar("workers.podDisruptionBudget.maxUnavailable"), CultureInfo.InvariantCulture);
        Assert.InRange(maxUnavailable, 1, (replicas - 1) / 2);
    }

    [Fact]
    public void Shutdown_grace_outlasts_the_hand_over()
    {
        // ww gives coordinated shutdown 20 s (ZooHost.DisposeAsync); the kubelet must not SIGKILL before.
        int grace = int.Parse(Chart.Values.Scalar("workers.terminationGracePeriodSeconds"), CultureInfo.InvariantCulture);
        Assert.True(grace >= 30, $"terminationGracePeriodSeconds {grace} leaves no time for the shard hand-over");
    }

    [Fact]
    public void Every_values_path_the_templates_reference_exists()
    {
        var values = Chart.Values;
        var missing = Chart.Templates
            .SelectMany(t => Chart.ValuesReferences(t.Value).Select(path => (File: t.Key, Path: path)))
            .Where(r => values.Find(r.Path) is null)
            .Select(r => $"{r.File}: .Values.{r.Path}")
            .Distinct()
            .ToList();
        Assert.True(missing.Count == 0, "templates reference values that values.yaml lacks:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void Every_top_level_value_is_used_by_a_template()
    {
        var used = Chart.Templates.Values.SelectMany(Chart.ValuesReferences).Select(p => p.Split('.')[0]).ToHashSet();
        var unused = Chart.Values.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Where(k => !used.Contains(k)).ToList();
        Assert.True(unused.Count == 0, "values.yaml keys no template uses: " + string.Join(", ", unused));
    }

    [Fact]
    public void Every_value_is_used_by_a_template()
    {
        // A leaf is used when a template names it or one of its parents (e.g. toYaml .Values.workers.resources).
        var references = Chart.Templates.Values.SelectMany(Chart.ValuesReferences).ToHashSet();
        var unused = Yaml.LeafPaths(Chart.Values)
            .Where(leaf => !references.Any(r => leaf == r || leaf.StartsWith(r + ".", StringComparison.Ordinal)))
            .ToList();
        Assert.True(unused.Count == 0, "values that change nothing: " + string.Join(", ", unused));
    }

    /// <summary>A Kubernetes quantity (24Gi, 500M, 1024) in bytes.</summary>
    internal static long Quantity(string text)
    {
        var m = Regex.Match(text, @"^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$");
        Assert.True(m.Success, $"{text} is not a Kubernetes quantity this test reads");
        long n = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch
        {
            "Ki" => n << 10,
            "Mi" => n << 20,
            "Gi" => n << 30,
            "Ti" => n << 40,
            "k" => n * 1000,
            "M" => n * 1_000_000,
            "G" => n * 1_000_000_000,
            "T" => n * 1_000_000_000_000,
            _ => n,
        };
    }
}
