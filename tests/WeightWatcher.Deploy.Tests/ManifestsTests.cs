using System.Text.RegularExpressions;
using WeightWatcher.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// deploy/k8s, the chart rendered with its defaults: well-formed objects of the expected kinds, a cluster
/// whose members find each other, and containers that pass only what <c>ww</c> really accepts.
/// </summary>
public sealed partial class ManifestsTests
{
    private const string ClusterDomain = "cluster.local";

    [Fact]
    public void Every_document_parses_and_names_itself()
    {
        Assert.NotEmpty(Manifests.Files);
        foreach (var file in Manifests.Files)
        {
            var docs = Yaml.LoadAll(File.ReadAllText(file));
            Assert.True(docs.Count > 0, $"{file} holds no YAML document");
            foreach (var doc in docs)
            {
                var map = Assert.IsType<YamlMappingNode>(doc);
                Assert.False(string.IsNullOrEmpty(map.ScalarOrNull("apiVersion")), $"{file}: a document without apiVersion");
                Assert.False(string.IsNullOrEmpty(map.ScalarOrNull("kind")), $"{file}: a document without kind");
                string? name = map.ScalarOrNull("metadata.name");
                Assert.False(string.IsNullOrEmpty(name), $"{file}: a document without metadata.name");
                Assert.Matches(DnsLabel(), name);
            }
        }
    }

    [Fact]
    public void The_expected_kinds_are_there_with_their_api_versions()
    {
        var kinds = Manifests.All.ToDictionary(m => m.Kind, m => m.Node.Scalar("apiVersion"));
        Assert.Equal(4, Manifests.All.Count);
        Assert.Equal("v1", kinds["Service"]);
        Assert.Equal("apps/v1", kinds["StatefulSet"]);
        Assert.Equal("batch/v1", kinds["CronJob"]);
        Assert.Equal("policy/v1", kinds["PodDisruptionBudget"]);
        // One namespace for all: the seed addresses name it.
        Assert.Single(Manifests.All.Select(m => m.Node.Scalar("metadata.namespace")).Distinct());
    }

    [Fact]
    public void The_headless_service_publishes_every_worker_pod()
    {
        var service = Manifests.HeadlessService.Node;
        var sts = Manifests.StatefulSet.Node;
        Assert.Equal("None", service.Scalar("spec.clusterIP"));
        Assert.Equal("true", service.Scalar("spec.publishNotReadyAddresses"));
        Assert.Equal(Manifests.HeadlessService.Name, sts.Scalar("spec.serviceName"));
        var podLabels = Labels(sts.At("spec.template.metadata.labels"));
        var selector = Labels(service.At("spec.selector"));
        Assert.NotEmpty(selector);
        Assert.All(selector, kv => Assert.Equal(kv.Value, podLabels.GetValueOrDefault(kv.Key)));
        Assert.All(Labels(sts.At("spec.selector.matchLabels")), kv => Assert.Equal(kv.Value, podLabels.GetValueOrDefault(kv.Key)));
        // The CronJob's pod is no worker: the service must not select it.
        var jobLabels = Labels(Manifests.CronJob.Node.At("spec.jobTemplate.spec.template.metadata.labels"));
        Assert.False(selector.All(kv => jobLabels.GetValueOrDefault(kv.Key) == kv.Value), "the headless service selects the zoo job's pod");

        var container = Manifests.Container(sts.At("spec.template.spec"));
        int akka = Manifests.ContainerPort(container, "akka");
        var port = service.Sequence("spec.ports").Children.Cast<YamlMappingNode>().Single(p => p.Scalar("name") == "akka");
        Assert.Equal(akka.ToString(), port.Scalar("port"));
        Assert.Contains(port.Scalar("targetPort"), new[] { "akka", akka.ToString() });
    }

    [Fact]
    public void Workers_run_node_with_only_flags_and_variables_the_cli_defines()
    {
        var container = Manifests.Container(Manifests.StatefulSet.Node.At("spec.template.spec"));
        var args = container.Sequence("args").Scalars();
        Assert.Equal("node", args[0]);
        AssertFlagsKnown(args.Skip(1).ToList(), CliHelp.Node.Flags, "worker args");
        AssertEnvKnown(Manifests.Env(container), "worker");
        Assert.Null(container.Find("command")); // the image's entrypoint is `dotnet /app/ww.dll`
    }

    [Fact]
    public void Workers_find_each_other_through_pod_dns_names_of_the_headless_service()
    {
        var sts = Manifests.StatefulSet;
        var service = Manifests.HeadlessService;
        string ns = sts.Node.Scalar("metadata.namespace");
        int replicas = int.Parse(sts.Node.Scalar("spec.replicas"));
        var container = Manifests.Container(sts.Node.At("spec.template.spec"));
        int akka = Manifests.ContainerPort(container, "akka");
        var env = Manifests.Env(container);
        string domain = $"{service.Name}.{ns}.svc.{ClusterDomain}";

        var seeds = env["WW_SEEDS"].Scalar("value").Split(',');
        Assert.Equal(Math.Min(3, replicas), seeds.Length);
        for (int i = 0; i < seeds.Length; i++)
        {
            Assert.Equal($"{sts.Name}-{i}.{domain}:{akka}", seeds[i]);
        }
        Assert.Equal($"$(POD_NAME).{domain}", env["WW_PUBLIC_HOSTNAME"].Scalar("value"));
        Assert.Equal("metadata.name", env["POD_NAME"].Scalar("valueFrom.fieldRef.fieldPath"));
        Assert.Equal(akka.ToString(), env["WW_PORT"].Scalar("value"));
        Assert.Equal("0.0.0.0", env["WW_HOSTNAME"].Scalar("value"));
        Assert.Equal("Parallel", sts.Node.Scalar("spec.podManagementPolicy"));
        // The probes ask the node's HTTP endpoint, on the port ww serves it at.
        int http = Manifests.ContainerPort(container, "http");
        Assert.Equal(http.ToString(), env["WW_HTTP_PORT"].Scalar("value"));
        Assert.Equal("/ready", container.Scalar("readinessProbe.httpGet.path"));
        Assert.Equal("/alive", container.Scalar("livenessProbe.httpGet.path"));
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            Assert.Contains(container.Scalar($"{probe}.httpGet.port"), new[] { "http", http.ToString() });
        }
        int grace = int.Parse(sts.Node.Scalar("spec.template.spec.terminationGracePeriodSeconds"));
        Assert.True(grace >= 30, "coordinated shutdown needs time to hand shards over");
        // Staging on the emptyDir mounted where WW_STAGING points.
        string staging = env["WW_STAGING"].Scalar("value");
        var mount = container.Sequence("volumeMounts").Children.Cast<YamlMappingNode>().Single(m => m.Scalar("mountPath") == staging);
        var volume = sts.Node.Sequence("spec.template.spec.volumes").Children.Cast<YamlMappingNode>().Single(v => v.Scalar("name") == mount.Scalar("name"));
        Assert.NotNull(volume.Find("emptyDir.sizeLimit"));
    }

    [Fact]
    public void The_cron_job_runs_zoo_run_with_only_flags_and_variables_the_cli_defines()
    {
        var cron = Manifests.CronJob.Node;
        Assert.Equal("Forbid", cron.Scalar("spec.concurrencyPolicy"));
        var podSpec = cron.At("spec.jobTemplate.spec.template.spec");
        Assert.Contains(podSpec.Scalar("restartPolicy"), new[] { "Never", "OnFailure" });
        var container = Manifests.Container(podSpec);
        var args = container.Sequence("args").Scalars();
        Assert.Equal(new[] { "zoo", "run" }, args.Take(2));
        var flags = AssertFlagsKnown(args.Skip(2).ToList(), CliHelp.ZooRun.Flags, "zoo job args");
        foreach (var required in new[] { "--seeds", "--store", "--models", "--results" })
        {
            Assert.True(flags.ContainsKey(required), $"the zoo job does not pass {required}");
        }
        AssertEnvKnown(Manifests.Env(container), "zoo job");

        // The job joins through the same seeds as the workers, and is reachable at its pod IP.
        var workerEnv = Manifests.Env(Manifests.Container(Manifests.StatefulSet.Node.At("spec.template.spec")));
        Assert.Equal(workerEnv["WW_SEEDS"].Scalar("value"), flags["--seeds"]);
        var env = Manifests.Env(container);
        Assert.Equal("$(POD_IP)", env["WW_PUBLIC_HOSTNAME"].Scalar("value"));
        Assert.Equal("status.podIP", env["POD_IP"].Scalar("valueFrom.fieldRef.fieldPath"));
        Assert.Equal("0.0.0.0", env["WW_HOSTNAME"].Scalar("value"));
        Assert.Equal(workerEnv["WW_MIN_WORKERS"].Scalar("value"), env["WW_MIN_WORKERS"].Scalar("value"));
        // Its store credentials are the workers' (workers range-read the models themselves).
        Assert.True(Yaml.SameTree(workerEnv["WW_BLOB_CONNECTION_STRING"], env["WW_BLOB_CONNECTION_STRING"]));
        Assert.NotNull(env["WW_BLOB_CONNECTION_STRING"].Find("valueFrom.secretKeyRef.name"));
    }

    [Fact]
    public void The_manifests_agree_with_the_chart_defaults()
    {
        var values = Chart.Values;
        var chart = Chart.Metadata;
        var sts = Manifests.StatefulSet.Node;
        var cron = Manifests.CronJob.Node;
        var worker = Manifests.Container(sts.At("spec.template.spec"));
        var job = Manifests.Container(cron.At("spec.jobTemplate.spec.template.spec"));
        var workerEnv = Manifests.Env(worker);
        var jobEnv = Manifests.Env(job);
        var jobFlags = FlagValues(job.Sequence("args").Scalars().Skip(2).ToList());
        string port = values.Scalar("workers.port");

        Assert.Equal(values.Scalar("workers.replicas"), sts.Scalar("spec.replicas"));
        Assert.Equal(port, Manifests.ContainerPort(worker, "akka").ToString());
        Assert.Equal(port, Manifests.ContainerPort(job, "akka").ToString());
        Assert.Equal(port, workerEnv["WW_PORT"].Scalar("value"));
        Assert.Equal(port, jobFlags["--port"]);
        Assert.Equal(port, Manifests.HeadlessService.Node.Sequence("spec.ports").Children.Cast<YamlMappingNode>().Single(p => p.Scalar("name") == "akka").Scalar("port"));
        Assert.Equal(values.Scalar("workers.httpPort"), Manifests.HeadlessService.Node.Sequence("spec.ports").Children.Cast<YamlMappingNode>().Single(p => p.Scalar("name") == "http").Scalar("port"));
        Assert.All(workerEnv["WW_SEEDS"].Scalar("value").Split(','), seed => Assert.EndsWith($".svc.{values.Scalar("clusterDomain")}:{port}", seed));
        Assert.Equal(values.Scalar("workers.parallel"), workerEnv["WW_PARALLEL"].Scalar("value"));
        Assert.Equal(values.Scalar("workers.minWorkers"), workerEnv["WW_MIN_WORKERS"].Scalar("value"));
        Assert.Equal(values.Scalar("logLevel"), workerEnv["WW_LOG_LEVEL"].Scalar("value"));
        Assert.Equal(values.Scalar("logLevel"), jobEnv["WW_LOG_LEVEL"].Scalar("value"));
        Assert.True(Yaml.SameTree(values.At("workers.resources"), worker.At("resources")), "worker resources differ from workers.resources");
        Assert.True(Yaml.SameTree(values.At("job.resources"), job.At("resources")), "job resources differ from job.resources");
        Assert.Equal(values.Scalar("workers.staging.sizeLimit"), sts.Sequence("spec.template.spec.volumes").Children.Cast<YamlMappingNode>().Single(v => v.Scalar("name") == "staging").Scalar("emptyDir.sizeLimit"));
        Assert.Equal(values.Scalar("workers.terminationGracePeriodSeconds"), sts.Scalar("spec.template.spec.terminationGracePeriodSeconds"));
        Assert.Equal(values.Scalar("workers.podDisruptionBudget.maxUnavailable"), Manifests.PodDisruptionBudget.Node.Scalar("spec.maxUnavailable"));
        Assert.Equal(values.Scalar("splitBrain.stableAfter"), sts.Scalar("spec.template.metadata.annotations.weightwatcher/split-brain-stable-after"));

        string tag = values.Scalar("image.tag") is { Length: > 0 } t ? t : chart.Scalar("appVersion");
        string image = $"{values.Scalar("image.repository")}:{tag}";
        Assert.Equal(image, worker.Scalar("image"));
        Assert.Equal(image, job.Scalar("image"));
        Assert.Equal(values.Scalar("image.pullPolicy"), worker.Scalar("imagePullPolicy"));
        Assert.Equal(values.Scalar("image.pullPolicy"), job.Scalar("imagePullPolicy"));

        Assert.Equal(values.Scalar("job.schedule"), cron.Scalar("spec.schedule"));
        Assert.Equal(values.Scalar("job.startingDeadlineSeconds"), cron.Scalar("spec.startingDeadlineSeconds"));
        Assert.Equal(values.Scalar("job.successfulJobsHistoryLimit"), cron.Scalar("spec.successfulJobsHistoryLimit"));
        Assert.Equal(values.Scalar("job.failedJobsHistoryLimit"), cron.Scalar("spec.failedJobsHistoryLimit"));
        Assert.Equal(values.Scalar("job.activeDeadlineSeconds"), cron.Scalar("spec.jobTemplate.spec.activeDeadlineSeconds"));
        Assert.Equal(values.Scalar("job.backoffLimit"), cron.Scalar("spec.jobTemplate.spec.backoffLimit"));
        Assert.Equal(values.Scalar("store.spec"), jobFlags["--store"]);
        Assert.Equal(values.Scalar("job.modelsPrefix"), jobFlags["--models"]);
        Assert.Equal(values.Scalar("job.resultsPrefix"), jobFlags["--results"]);
        Assert.Equal(values.Scalar("job.catalog") is { Length: > 0 }, jobFlags.ContainsKey("--catalog"));
        Assert.Empty(values.Sequence("job.extraArgs").Children); // so the args end with --results <prefix>
        Assert.Equal(values.Scalar("job.resultsPrefix"), job.Sequence("args").Scalars()[^1]);
        foreach (var env in new[] { workerEnv, jobEnv })
        {
            Assert.Equal(values.Scalar("store.connectionSecret.name"), env["WW_BLOB_CONNECTION_STRING"].Scalar("valueFrom.secretKeyRef.name"));
            Assert.Equal(values.Scalar("store.connectionSecret.key"), env["WW_BLOB_CONNECTION_STRING"].Scalar("valueFrom.secretKeyRef.key"));
        }
    }

    [Fact]
    public void The_zoo_job_passes_every_flag_its_template_names()
    {
        // --catalog is the one optional flag (empty by default).
        var jobTemplate = Chart.Template("zoo-cronjob.yaml");
        var job = Manifests.Container(Manifests.CronJob.Node.At("spec.jobTemplate.spec.template.spec"));
        var templateFlags = TemplateFlag().Matches(jobTemplate).Select(m => m.Groups[1].Value).ToList();
        Assert.All(templateFlags, f => Assert.True(CliHelp.ZooRun.Flags.ContainsKey(f), $"zoo-cronjob.yaml passes {f}, which ww zoo run does not define"));
        var renderedFlags = job.Sequence("args").Scalars().Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToList();
        Assert.Equal(templateFlags.Where(f => f != "--catalog"), renderedFlags);
    }

    [Fact]
    public void The_disruption_budget_covers_the_workers()
    {
        var pdb = Manifests.PodDisruptionBudget.Node;
        var podLabels = Labels(Manifests.StatefulSet.Node.At("spec.template.metadata.labels"));
        var selector = Labels(pdb.At("spec.selector.matchLabels"));
        Assert.NotEmpty(selector);
        Assert.All(selector, kv => Assert.Equal(kv.Value, podLabels.GetValueOrDefault(kv.Key)));
        int replicas = int.Parse(Manifests.StatefulSet.Node.Scalar("spec.replicas"));
        Assert.True(2 * int.Parse(pdb.Scalar("spec.maxUnavailable")) < replicas, "a drain could take the split-brain majority");
    }

    /// <summary>Checks every --flag against the command's help; returns flag -> value ("" for switches).</summary>
    private static Dictionary<string, string> AssertFlagsKnown(IReadOnlyList<string> args, IReadOnlyDictionary<string, bool> known, string what)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            Assert.True(a.StartsWith("--", StringComparison.Ordinal), $"{what}: unexpected positional argument {a}");
            Assert.True(known.TryGetValue(a, out bool takesValue), $"{what}: {a} is not a flag ww defines ({string.Join(" ", known.Keys)})");
            if (takesValue)
            {
                Assert.True(i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal), $"{what}: {a} lacks its value");
                i++;
            }
        }
        return FlagValues(args);
    }

    private static Dictionary<string, string> FlagValues(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                bool hasValue = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
                values[args[i]] = hasValue ? args[++i] : "";
            }
        }
        return values;
    }

    /// <summary>WW_* variables must be ones ww names; others must be pod fields that a WW_* value refers to as $(NAME).</summary>
    private static void AssertEnvKnown(IReadOnlyDictionary<string, YamlMappingNode> env, string what)
    {
        var known = CliHelp.EnvironmentVariables;
        Assert.Contains("WW_SEEDS", known);
        Assert.Contains("WW_BLOB_CONNECTION_STRING", known);
        var referenced = env.Values
            .SelectMany(e => EnvReference().Matches(e.ScalarOrNull("value") ?? "").Select(m => m.Groups[1].Value))
            .ToHashSet();
        foreach (var (name, entry) in env)
        {
            if (name.StartsWith("WW_", StringComparison.Ordinal))
            {
                Assert.True(known.Contains(name), $"{what}: {name} is not a variable ww reads ({string.Join(", ", known)})");
            }
            else
            {
                Assert.True(referenced.Contains(name), $"{what}: {name} is neither a ww variable nor used by one");
                Assert.NotNull(entry.Find("valueFrom.fieldRef.fieldPath"));
            }
        }
        // Kubernetes expands $(NAME) only from variables defined earlier in the list.
        var order = env.Keys.Select((name, index) => (name, index)).ToDictionary(p => p.name, p => p.index);
        foreach (var (name, entry) in env)
        {
            foreach (Match m in EnvReference().Matches(entry.ScalarOrNull("value") ?? ""))
            {
                string target = m.Groups[1].Value;
                Assert.True(order.TryGetValue(target, out int at) && at < order[name], $"{what}: {name} refers to $({target}), which is not defined before it");
            }
        }
    }

    private static Dictionary<string, string> Labels(YamlNode node) =>
        ((YamlMappingNode)node).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex EnvReference();

    [GeneratedRegex(@"(?m)^\s*-\s+(--[a-z0-9][a-z0-9-]*)\s*$")]
    private static partial Regex TemplateFlag();
}
