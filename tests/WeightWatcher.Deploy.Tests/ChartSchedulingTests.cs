using WeightWatcher.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// Where and when the chart's pods run: workers spread over nodes, the disruption budget held to the
/// split-brain majority, readiness that means "joined", and the nightly CronJob's own settings.
/// </summary>
public sealed class ChartSchedulingTests
{
    [Fact]
    public void Workers_prefer_different_nodes_and_spread_evenly()
    {
        var sts = Helm.Template().Single("StatefulSet").Node;
        var podLabels = Labels(sts.At("spec.template.metadata.labels"));
        var term = (YamlMappingNode)sts.Sequence("spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution").Children.Single();
        Assert.Equal("kubernetes.io/hostname", term.Scalar("podAffinityTerm.topologyKey"));
        AssertSelectsWorkers(term.At("podAffinityTerm.labelSelector.matchLabels"), podLabels);
        var spread = (YamlMappingNode)sts.Sequence("spec.template.spec.topologySpreadConstraints").Children.Single();
        Assert.Equal("1", spread.Scalar("maxSkew"));
        Assert.Equal("kubernetes.io/hostname", spread.Scalar("topologyKey"));
        Assert.Equal("ScheduleAnyway", spread.Scalar("whenUnsatisfiable"));
        Assert.Equal("Honor", spread.Scalar("nodeTaintsPolicy"));
        AssertSelectsWorkers(spread.At("labelSelector.matchLabels"), podLabels);
    }

    [Fact]
    public void Spreading_is_configurable()
    {
        var required = Helm.Template(null, "workers.spread.podAntiAffinity=required", "workers.spread.topologyKey=topology.kubernetes.io/zone", "workers.spread.whenUnsatisfiable=DoNotSchedule").Single("StatefulSet").Node;
        Assert.Equal("topology.kubernetes.io/zone", ((YamlMappingNode)required.Sequence("spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution").Children.Single()).Scalar("topologyKey"));
        Assert.Equal("DoNotSchedule", ((YamlMappingNode)required.Sequence("spec.template.spec.topologySpreadConstraints").Children.Single()).Scalar("whenUnsatisfiable"));

        var none = Helm.Template(null, "workers.spread.podAntiAffinity=none", "workers.spread.topologySpread=false").Single("StatefulSet").Node;
        Assert.Null(none.Find("spec.template.spec.affinity"));
        Assert.Null(none.Find("spec.template.spec.topologySpreadConstraints"));

        // An affinity of the operator's replaces the default anti-affinity.
        var custom = Helm.Template("workers:\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [cpu]}]}]\n").Single("StatefulSet").Node;
        Assert.NotNull(custom.Find("spec.template.spec.affinity.nodeAffinity"));
        Assert.Null(custom.Find("spec.template.spec.affinity.podAntiAffinity"));
    }

    [Theory]
    [InlineData(3, 1, true)]
    [InlineData(4, 1, true)]
    [InlineData(5, 2, true)]
    [InlineData(10, 4, true)]
    [InlineData(4, 2, false)]
    [InlineData(3, 2, false)]
    [InlineData(10, 5, false)]
    public void The_disruption_budget_never_allows_losing_the_majority(int replicas, int maxUnavailable, bool renders)
    {
        var result = Helm.TryTemplate(null, $"workers.replicas={replicas}", $"workers.podDisruptionBudget.maxUnavailable={maxUnavailable}");
        Assert.Equal(renders, result.ExitCode == 0);
        if (renders)
        {
            var pdb = new Rendered(result.Stdout).Single("PodDisruptionBudget").Node;
            Assert.Equal(maxUnavailable.ToString(), pdb.Scalar("spec.maxUnavailable"));
            Assert.True(2 * maxUnavailable < replicas);
        }
        else
        {
            Assert.Contains($"workers.podDisruptionBudget.maxUnavailable={maxUnavailable}", result.Stderr);
        }
    }

    [Fact]
    public void The_disruption_budget_can_be_switched_off()
    {
        Assert.Single(Helm.Template().All("PodDisruptionBudget"));
        Assert.Empty(Helm.Template(null, "workers.podDisruptionBudget.enabled=false").All("PodDisruptionBudget"));
        // Off, it no longer constrains maxUnavailable.
        Assert.Empty(Helm.Template(null, "workers.podDisruptionBudget.enabled=false", "workers.podDisruptionBudget.maxUnavailable=3").All("PodDisruptionBudget"));
    }

    [Fact]
    public void Readiness_means_joined_and_a_rolling_update_waits_for_it()
    {
        var rendered = Helm.Template(null, "workers.httpPort=9090", "workers.minReadySeconds=20");
        var sts = rendered.Single("StatefulSet").Node;
        var container = Manifests.Container(rendered.WorkerPod);
        Assert.Equal("9090", Manifests.ContainerPort(container, "http").ToString());
        Assert.Equal("9090", Manifests.Env(container)["WW_HTTP_PORT"].Scalar("value"));
        Assert.Equal("/ready", container.Scalar("readinessProbe.httpGet.path"));
        Assert.Equal("http", container.Scalar("readinessProbe.httpGet.port"));
        Assert.Equal("/alive", container.Scalar("livenessProbe.httpGet.path"));
        Assert.Equal("http", container.Scalar("livenessProbe.httpGet.port"));
        Assert.Equal("20", sts.Scalar("spec.minReadySeconds"));
        Assert.Equal("RollingUpdate", sts.Scalar("spec.updateStrategy.type"));
        Assert.Equal("9090", sts.KeyScalar("spec.template.metadata.annotations", "prometheus.io/port"));
        Assert.Equal("/metrics", sts.KeyScalar("spec.template.metadata.annotations", "prometheus.io/path"));
        Assert.Contains(rendered.Single("Service").Node.Sequence("spec.ports").Children.Cast<YamlMappingNode>(), p => p.Scalar("name") == "http" && p.Scalar("port") == "9090");
    }

    [Fact]
    public void The_cron_job_has_its_own_schedule_time_zone_history_and_placement()
    {
        var rendered = Helm.Template("""
            job:
              schedule: "@daily"
              timeZone: America/New_York
              suspend: true
              successfulJobsHistoryLimit: 7
              failedJobsHistoryLimit: 2
              priorityClassName: batch-low
              nodeSelector: {pool: batch}
              tolerations: [{key: batch, operator: Exists, effect: NoSchedule}]
              affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, preference: {matchExpressions: [{key: spot, operator: DoesNotExist}]}}]}}
              resources: {requests: {cpu: 50m, memory: 128Mi}, limits: {memory: 256Mi}}
            workers:
              nodeSelector: {pool: analysis}
            """);
        var cron = rendered.Single("CronJob").Node;
        Assert.Equal("@daily", cron.Scalar("spec.schedule"));
        Assert.Equal("America/New_York", cron.Scalar("spec.timeZone"));
        Assert.Equal("true", cron.Scalar("spec.suspend"));
        Assert.Equal("7", cron.Scalar("spec.successfulJobsHistoryLimit"));
        Assert.Equal("2", cron.Scalar("spec.failedJobsHistoryLimit"));
        Assert.Equal("Forbid", cron.Scalar("spec.concurrencyPolicy"));
        var pod = rendered.JobPod;
        Assert.Equal("batch-low", pod.Scalar("priorityClassName"));
        Assert.Equal("batch", pod.Scalar("nodeSelector.pool"));
        Assert.Equal("batch", ((YamlMappingNode)pod.Sequence("tolerations").Children.Single()).Scalar("key"));
        Assert.NotNull(pod.Find("affinity.nodeAffinity"));
        Assert.Equal("256Mi", Manifests.Container(pod).Scalar("resources.limits.memory"));
        // The workers keep theirs.
        Assert.Equal("analysis", rendered.WorkerPod.Scalar("nodeSelector.pool"));
        Assert.Null(rendered.WorkerPod.Find("priorityClassName"));
        Assert.Empty(KubernetesSchemas.Validate(rendered.Text));
    }

    [Fact]
    public void The_time_zone_defaults_to_utc_and_can_be_left_to_the_controller()
    {
        Assert.Equal("Etc/UTC", Helm.Template().Single("CronJob").Node.Scalar("spec.timeZone"));
        Assert.Null(Helm.Template(null, "job.timeZone=").Single("CronJob").Node.Find("spec.timeZone"));
        Assert.Empty(Helm.Template(null, "job.enabled=false").All("CronJob"));
    }

    private static void AssertSelectsWorkers(YamlNode selector, IReadOnlyDictionary<string, string> podLabels)
    {
        var labels = Labels(selector);
        Assert.Equal("worker", labels["app.kubernetes.io/component"]);
        Assert.All(labels, kv => Assert.Equal(kv.Value, podLabels.GetValueOrDefault(kv.Key)));
    }

    private static Dictionary<string, string> Labels(YamlNode node) =>
        ((YamlMappingNode)node).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);
}
