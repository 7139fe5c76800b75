using WeightWatcher.Cluster.Hosting;
using WeightWatcher.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// Mutual TLS in the chart: on by default, every ww pod mounts the members' Secret and names the folder in
/// WW_TLS_DIR; the Secret the chart generates is one ww accepts; an existing Secret, plain manifests and
/// plain TCP render what they say. Also the two settings the chart passes through: store.timeout and
/// workers.maxMemory.
/// </summary>
public sealed class ChartTlsTests
{
    private const string TlsDir = "/etc/ww/tls";

    [Fact]
    public void By_default_every_ww_pod_mounts_the_generated_secret_and_runs_tls()
    {
        var rendered = Helm.Template();
        var secret = rendered.Single("Secret");
        Assert.Equal("weightwatcher-tls", secret.Name);
        Assert.Equal("kubernetes.io/tls", secret.Node.Scalar("type"));
        foreach (var (owner, spec) in WwPods(rendered))
        {
            AssertMounts(owner, spec, "weightwatcher-tls");
        }
        Assert.Empty(KubernetesSchemas.Validate(rendered.Text));
    }

    [Fact]
    public void The_generated_secret_is_a_member_certificate_ww_accepts()
    {
        var secret = Helm.Template().Single("Secret").Node;
        using var folder = new TempDir();
        foreach (string file in new[] { ClusterTls.CertificateFile, ClusterTls.KeyFile, ClusterTls.AuthorityFile })
        {
            File.WriteAllBytes(folder.File(file), Convert.FromBase64String(secret.KeyScalar("data", file) ?? throw new InvalidOperationException($"no {file} in the Secret")));
        }
        // The loader's checks: the key is the certificate's, it chains to ca.crt, is in date and allows both ends.
        var tls = ClusterTls.Load(folder.Path);
        Assert.Equal("CN=weightwatcher-member", tls.Certificate.Subject);
        Assert.Equal("CN=weightwatcher-ca", tls.AuthoritySubject);
        Assert.True(tls.Certificate.NotAfter > DateTime.Now.AddYears(9), $"valid until {tls.Certificate.NotAfter:u}");
    }

    [Fact]
    public void An_existing_secret_is_mounted_and_none_generated()
    {
        var rendered = Helm.Template(null, "tls.existingSecret=cluster-mtls");
        Assert.Empty(rendered.All("Secret"));
        foreach (var (owner, spec) in WwPods(rendered))
        {
            AssertMounts(owner, spec, "cluster-mtls");
        }
    }

    [Fact]
    public void Plain_manifests_mount_the_secret_but_hold_no_key()
    {
        var rendered = Helm.Template(null, "plainManifests=true");
        Assert.Empty(rendered.All("Secret"));
        Assert.DoesNotContain("PRIVATE KEY", rendered.Text, StringComparison.Ordinal);
        foreach (var (owner, spec) in WwPods(rendered))
        {
            AssertMounts(owner, spec, "weightwatcher-tls");
        }
    }

    [Fact]
    public void With_tls_off_the_pods_run_plain_tcp()
    {
        var rendered = Helm.Template(null, "tls.enabled=false");
        Assert.Empty(rendered.All("Secret"));
        foreach (var (owner, spec) in WwPods(rendered))
        {
            var container = Manifests.Container(spec);
            Assert.False(Manifests.Env(container).ContainsKey("WW_TLS_DIR"), $"{owner}: WW_TLS_DIR");
            Assert.DoesNotContain(Volumes(spec), v => v.Find("secret") is not null);
        }
    }

    [Fact]
    public void Store_timeout_reaches_every_pod_and_max_memory_the_workers()
    {
        var defaults = Helm.Template();
        foreach (var (owner, spec) in WwPods(defaults))
        {
            var env = Manifests.Env(Manifests.Container(spec));
            Assert.Equal("30s", env["WW_STORE_TIMEOUT"].Scalar("value"));
            Assert.False(env.ContainsKey("WW_MAX_MEMORY"), $"{owner}: WW_MAX_MEMORY without a value");
        }
        var set = Helm.Template(null, "store.timeout=90s", "workers.maxMemory=1200M");
        foreach (var (owner, spec) in WwPods(set))
        {
            var env = Manifests.Env(Manifests.Container(spec));
            Assert.Equal("90s", env["WW_STORE_TIMEOUT"].Scalar("value"));
            // The budget is for layers analyzed in the process: the job pod analyzes none.
            Assert.Equal(owner.Kind == "StatefulSet" ? "1200M" : null, env.GetValueOrDefault("WW_MAX_MEMORY")?.Scalar("value"));
        }
    }

    /// <summary>The ww pods (workers and the zoo job; not the helm test pod, which runs no member).</summary>
    private static IEnumerable<(Manifest Owner, YamlNode Spec)> WwPods(Rendered rendered)
    {
        var pods = rendered.Pods.Where(p => p.Owner.Kind != "Pod").Select(p => (p.Owner, p.Spec)).ToList();
        Assert.Equal(["CronJob", "StatefulSet"], pods.Select(p => p.Owner.Kind).Order());
        return pods;
    }

    private static IEnumerable<YamlMappingNode> Volumes(YamlNode spec) => spec.Sequence("volumes").Children.Cast<YamlMappingNode>();

    private static void AssertMounts(Manifest owner, YamlNode spec, string secretName)
    {
        var container = Manifests.Container(spec);
        Assert.Equal(TlsDir, Manifests.Env(container)["WW_TLS_DIR"].Scalar("value"));
        var mount = Assert.Single(container.Sequence("volumeMounts").Children.Cast<YamlMappingNode>(), m => m.Scalar("mountPath") == TlsDir);
        Assert.True(mount.ScalarOrNull("readOnly") == "true", $"{owner}: the TLS mount is writable");
        var volume = Assert.Single(Volumes(spec), v => v.Scalar("name") == mount.Scalar("name"));
        Assert.Equal(secretName, volume.Scalar("secret.secretName"));
        Assert.Equal("288", volume.Scalar("secret.defaultMode")); // 0440: owner and the pod's fsGroup
    }
}
