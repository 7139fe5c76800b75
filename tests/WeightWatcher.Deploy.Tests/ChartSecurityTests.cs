using WeightWatcher.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// Security settings of every pod the chart renders (workers, zoo job, helm test pod): safe defaults, each
/// from values; the service account and Azure workload identity.
/// </summary>
public sealed class ChartSecurityTests
{
    [Fact]
    public void Every_pod_runs_non_root_with_the_runtime_default_seccomp_profile_and_no_token()
    {
        var rendered = Helm.Template();
        var pods = rendered.Pods.ToList();
        Assert.Equal(3, pods.Count); // StatefulSet, CronJob, helm test Pod
        foreach (var (owner, spec, _) in pods)
        {
            Assert.True(spec.Scalar("securityContext.runAsNonRoot") == "true", $"{owner}: runAsNonRoot");
            Assert.Equal("1654", spec.Scalar("securityContext.runAsUser")); // the image's app user
            Assert.Equal("RuntimeDefault", spec.Scalar("securityContext.seccompProfile.type"));
            Assert.True(spec.Scalar("automountServiceAccountToken") == "false", $"{owner}: the API token is mounted");
            Assert.Null(spec.Find("serviceAccountName"));
        }
    }

    [Fact]
    public void Every_container_drops_all_capabilities_and_writes_only_to_its_volumes()
    {
        var rendered = Helm.Template();
        foreach (var (owner, spec, _) in rendered.Pods)
        {
            var container = Manifests.Container(spec);
            Assert.Equal("false", container.Scalar("securityContext.allowPrivilegeEscalation"));
            Assert.Equal("false", container.Scalar("securityContext.privileged"));
            Assert.True(container.Scalar("securityContext.readOnlyRootFilesystem") == "true", $"{owner}: writable root filesystem");
            Assert.Equal(["ALL"], container.Sequence("securityContext.capabilities.drop").Scalars());
            Assert.Null(container.Find("securityContext.capabilities.add"));
            // /tmp (scratch) is an emptyDir; the worker's staging too.
            var mounts = container.Sequence("volumeMounts").Children.Cast<YamlMappingNode>().ToDictionary(m => m.Scalar("mountPath"), m => m.Scalar("name"));
            var volumes = spec.Sequence("volumes").Children.Cast<YamlMappingNode>().ToDictionary(v => v.Scalar("name"));
            Assert.True(mounts.ContainsKey("/tmp"), $"{owner}: no /tmp volume under a read-only root");
            Assert.NotNull(volumes[mounts["/tmp"]].Find("emptyDir.sizeLimit"));
            if (owner.Kind == "StatefulSet")
            {
                Assert.NotNull(volumes[mounts["/staging"]].Find("emptyDir.sizeLimit"));
            }
        }
    }

    [Fact]
    public void Security_contexts_come_from_values()
    {
        var rendered = Helm.Template("""
            podSecurityContext:
              runAsNonRoot: true
              runAsUser: 20000
              runAsGroup: 20000
              seccompProfile: {type: Localhost, localhostProfile: profiles/ww.json}
            containerSecurityContext:
              allowPrivilegeEscalation: false
              readOnlyRootFilesystem: false
              capabilities: {drop: [ALL]}
            """);
        foreach (var (owner, spec, _) in rendered.Pods)
        {
            Assert.Equal("20000", spec.Scalar("securityContext.runAsUser"));
            Assert.Equal("profiles/ww.json", spec.Scalar("securityContext.seccompProfile.localhostProfile"));
            Assert.Equal("false", Manifests.Container(spec).Scalar("securityContext.readOnlyRootFilesystem"));
        }
        Assert.Empty(KubernetesSchemas.Validate(rendered.Text));
    }

    [Fact]
    public void A_service_account_is_created_only_when_asked_for()
    {
        Assert.Empty(Helm.Template().All("ServiceAccount"));
        var created = Helm.Template(null, "serviceAccount.create=true", "serviceAccount.annotations.example\\.com/owner=ml");
        var account = created.Single("ServiceAccount").Node;
        Assert.Equal("weightwatcher", account.Scalar("metadata.name"));
        Assert.Equal("ml", account.KeyScalar("metadata.annotations", "example.com/owner"));
        Assert.Equal("false", account.Scalar("automountServiceAccountToken"));
        Assert.All(created.Pods, p => Assert.Equal("weightwatcher", p.Spec.Scalar("serviceAccountName")));
        // An existing account by name.
        var existing = Helm.Template(null, "serviceAccount.name=zoo-runner");
        Assert.Empty(existing.All("ServiceAccount"));
        Assert.All(existing.Pods, p => Assert.Equal("zoo-runner", p.Spec.Scalar("serviceAccountName")));
    }

    [Fact]
    public void Workload_identity_annotates_the_account_instead_of_mounting_a_connection_string()
    {
        var rendered = Helm.Template(null, "serviceAccount.create=true", "azureWorkloadIdentity.enabled=true",
            "azureWorkloadIdentity.clientId=00000000-1111-2222-3333-444444444444", "azureWorkloadIdentity.tenantId=99999999-1111-2222-3333-444444444444",
            "store.spec=https://zoo.blob.core.windows.net/models", "store.connectionSecret.name=");
        var account = rendered.Single("ServiceAccount").Node;
        Assert.Equal("00000000-1111-2222-3333-444444444444", account.KeyScalar("metadata.annotations", "azure.workload.identity/client-id"));
        Assert.Equal("99999999-1111-2222-3333-444444444444", account.KeyScalar("metadata.annotations", "azure.workload.identity/tenant-id"));
        foreach (var (owner, spec, metadata) in rendered.Pods)
        {
            // The webhook injects the federated token into pods that opt in with this label.
            Assert.Equal("true", metadata.KeyScalar("labels", "azure.workload.identity/use"));
            Assert.Equal("weightwatcher", spec.Scalar("serviceAccountName"));
            Assert.False(Manifests.Env(Manifests.Container(spec)).ContainsKey("WW_BLOB_CONNECTION_STRING"), $"{owner} still gets a connection string");
        }
        var job = Manifests.Container(rendered.JobPod).Sequence("args").Scalars();
        Assert.Equal("https://zoo.blob.core.windows.net/models", job[job.ToList().IndexOf("--store") + 1]);
    }

    [Fact]
    public void By_default_the_connection_string_comes_from_the_secret()
    {
        var rendered = Helm.Template(null, "store.connectionSecret.name=zoo-storage", "store.connectionSecret.key=conn");
        foreach (var (_, spec, metadata) in rendered.Pods.Where(p => p.Owner.Kind != "Pod"))
        {
            var env = Manifests.Env(Manifests.Container(spec));
            Assert.Equal("zoo-storage", env["WW_BLOB_CONNECTION_STRING"].Scalar("valueFrom.secretKeyRef.name"));
            Assert.Equal("conn", env["WW_BLOB_CONNECTION_STRING"].Scalar("valueFrom.secretKeyRef.key"));
            Assert.Null(metadata.KeyScalar("labels", "azure.workload.identity/use"));
        }
    }
}
