using System.Formats.Tar;
using System.IO.Compression;
using WeightWatcher.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// Chart conventions: the image reference, pull secrets, pod labels and annotations, extra env and volumes,
/// priority classes, the helm test hook, plain manifests that do not claim Helm, .helmignore, Chart.yaml
/// metadata and a README that lists every value.
/// </summary>
public sealed class ChartPackagingTests
{
    [Theory]
    [InlineData("", "", "", "weightwatcher-cluster:0.1.0")]
    [InlineData("", "2.0.1", "", "weightwatcher-cluster:2.0.1")]
    [InlineData("registry.example.com", "2.0.1", "", "registry.example.com/weightwatcher-cluster:2.0.1")]
    [InlineData("registry.example.com:5000", "", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "registry.example.com:5000/weightwatcher-cluster@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void The_image_is_registry_repository_and_tag_or_digest(string registry, string tag, string digest, string expected)
    {
        var rendered = Helm.Template(null, $"image.registry={registry}", $"image.tag={tag}", $"image.digest={digest}", "imagePullSecrets[0].name=registry-credentials");
        Assert.Equal("0.1.0", Chart.Metadata.Scalar("appVersion"));
        foreach (var (owner, spec, _) in rendered.Pods)
        {
            Assert.Equal(expected, Manifests.Container(spec).Scalar("image"));
            Assert.Equal("registry-credentials", ((YamlMappingNode)spec.Sequence("imagePullSecrets").Children.Single()).Scalar("name"));
        }
    }

    [Fact]
    public void Pod_labels_annotations_extra_env_volumes_and_priority_reach_every_pod()
    {
        var rendered = Helm.Template("""
            podAnnotations: {example.com/owner: ml-platform}
            podLabels: {cost-center: research}
            extraEnv: [{name: OPENBLAS_CORETYPE, value: Haswell}]
            extraVolumes: [{name: zoo, persistentVolumeClaim: {claimName: model-zoo}}]
            extraVolumeMounts: [{name: zoo, mountPath: /zoo, readOnly: true}]
            workers: {priorityClassName: batch-high}
            job: {priorityClassName: batch-low}
            """);
        foreach (var (owner, spec, metadata) in rendered.Pods)
        {
            Assert.Equal("ml-platform", metadata.KeyScalar("annotations", "example.com/owner"));
            Assert.Equal("research", metadata.Scalar("labels.cost-center"));
            if (owner.Kind == "Pod")
            {
                continue; // the test pod runs ww info --check only
            }
            var container = Manifests.Container(spec);
            Assert.Equal("Haswell", Manifests.Env(container)["OPENBLAS_CORETYPE"].Scalar("value"));
            Assert.Contains(container.Sequence("volumeMounts").Children.Cast<YamlMappingNode>(), m => m.Scalar("mountPath") == "/zoo" && m.Scalar("name") == "zoo");
            Assert.Contains(spec.Sequence("volumes").Children.Cast<YamlMappingNode>(), v => v.ScalarOrNull("persistentVolumeClaim.claimName") == "model-zoo");
            Assert.Equal(owner.Kind == "StatefulSet" ? "batch-high" : "batch-low", spec.Scalar("priorityClassName"));
        }
        // Selectors are unaffected: the pod labels are added, never in place of the chart's.
        Assert.DoesNotContain("cost-center", rendered.Single("StatefulSet").Node.At("spec.selector.matchLabels").ToString());
        Assert.Empty(KubernetesSchemas.Validate(rendered.Text));
    }

    [Fact]
    public void Helm_test_runs_info_check_in_the_release_image()
    {
        var rendered = Helm.Template(null, "image.tag=9.9.9");
        var pod = rendered.Single("Pod").Node;
        Assert.Equal("test", pod.KeyScalar("metadata.annotations", "helm.sh/hook"));
        Assert.Equal("Never", pod.Scalar("spec.restartPolicy"));
        var container = Manifests.Container(pod.At("spec"));
        Assert.Equal(["info", "--check"], container.Sequence("args").Scalars());
        Assert.Equal("weightwatcher-cluster:9.9.9", container.Scalar("image"));
        Assert.Equal(Manifests.Container(rendered.WorkerPod).Scalar("image"), container.Scalar("image"));
        Assert.Empty(Helm.Template(null, "tests.enabled=false").All("Pod"));
    }

    [Fact]
    public void Install_notes_name_the_seeds_the_secret_and_how_to_run_a_job()
    {
        // helm install --dry-run=client renders NOTES.txt without a cluster.
        var install = Helm.Run("install", "weightwatcher", RepoPaths.Chart, "--namespace", "ww", "--dry-run=client");
        Assert.True(install.ExitCode == 0, install.ToString());
        string notes = install.Stdout[install.Stdout.IndexOf("NOTES:", StringComparison.Ordinal)..];
        Assert.Contains("weightwatcher-worker-0.weightwatcher-workers.ww.svc.cluster.local:4053", notes);
        Assert.Contains("kubectl -n ww create secret generic weightwatcher-blob --from-literal=connection-string=", notes);
        Assert.Contains("kubectl -n ww create job --from=cronjob/weightwatcher-zoo", notes);
        Assert.Contains("helm test weightwatcher -n ww", notes);
        Assert.Contains("/metrics", notes);
        var identity = Helm.Run("install", "weightwatcher", RepoPaths.Chart, "--namespace", "ww", "--dry-run=client",
            "--set", "serviceAccount.create=true,azureWorkloadIdentity.enabled=true,azureWorkloadIdentity.clientId=00000000-1111-2222-3333-444444444444",
            "--set", "store.spec=https://zoo.blob.core.windows.net/models,store.connectionSecret.name=");
        Assert.True(identity.ExitCode == 0, identity.ToString());
        Assert.Contains("as managed identity 00000000-1111-2222-3333-444444444444", identity.Stdout);
        Assert.DoesNotContain("create secret", identity.Stdout);
    }

    [Fact]
    public void Plain_manifests_do_not_claim_to_be_managed_by_helm()
    {
        var helm = Helm.Template();
        Assert.All(helm.Objects, o => Assert.Equal("Helm", o.Node.KeyScalar("metadata.labels", "app.kubernetes.io/managed-by")));
        Assert.All(helm.Objects, o => Assert.NotNull(o.Node.KeyScalar("metadata.labels", "helm.sh/chart")));
        Assert.NotEmpty(Manifests.All);
        foreach (var file in Manifests.Files)
        {
            string text = File.ReadAllText(file);
            Assert.DoesNotContain("managed-by", text);
            Assert.DoesNotContain("helm.sh/", text);
        }
        Assert.All(Manifests.All, m => Assert.Equal("weightwatcher", m.Node.KeyScalar("metadata.labels", "app.kubernetes.io/part-of")));
    }

    [Fact]
    public void Chart_yaml_carries_its_metadata()
    {
        var chart = Chart.Metadata;
        Assert.NotEmpty(chart.Scalar("description"));
        Assert.StartsWith(">=1.27", chart.Scalar("kubeVersion"));
        Assert.NotEmpty(chart.Sequence("keywords").Children);
        Assert.NotEmpty(((YamlMappingNode)chart.Sequence("maintainers").Children[0]).Scalar("name"));
        Assert.StartsWith("data:image/svg+xml;base64,", chart.Scalar("icon"));
        Assert.NotEmpty(chart.Scalar("annotations.category"));
    }

    [Fact]
    public void The_packaged_chart_holds_the_schema_and_readme_and_nothing_helmignored()
    {
        string output = Directory.CreateTempSubdirectory("ww-package-").FullName;
        try
        {
            var result = Helm.Run("package", RepoPaths.Chart, "--destination", output);
            Assert.True(result.ExitCode == 0, result.ToString());
            string package = Directory.GetFiles(output, "*.tgz").Single();
            var entries = new List<string>();
            using (var gzip = new GZipStream(File.OpenRead(package), CompressionMode.Decompress))
            using (var tar = new TarReader(gzip))
            {
                while (tar.GetNextEntry() is { } entry)
                {
                    entries.Add(entry.Name);
                }
            }
            foreach (var expected in new[] { "Chart.yaml", "values.yaml", "values.schema.json", "README.md", "templates/_helpers.tpl", "templates/tests/info-check.yaml" })
            {
                Assert.Contains($"weightwatcher-cluster/{expected}", entries);
            }
            // .helmignore's own patterns: nothing of the kind is shipped.
            var ignored = File.ReadAllLines(Path.Combine(RepoPaths.Chart, ".helmignore")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
            Assert.Contains(".git/", ignored);
            Assert.Contains("*.swp", ignored);
            Assert.DoesNotContain(entries, e => e.EndsWith(".swp", StringComparison.Ordinal) || e.EndsWith('~') || e.Contains("/.git/", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void The_chart_readme_lists_every_value_and_no_other()
    {
        string readme = File.ReadAllText(Path.Combine(RepoPaths.Chart, "README.md"));
        var values = Yaml.LeafPaths(Chart.Values).ToHashSet(StringComparer.Ordinal);
        var missing = values.Where(v => !readme.Contains($"`{v}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "values the chart README does not list: " + string.Join(", ", missing));
        // Every value row of the README's table names a real value.
        var rows = readme.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).Select(l => l.Split('`')[1]).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.True(values.Contains(r), $"README lists {r}, which values.yaml does not have"));
    }
}
