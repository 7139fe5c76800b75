using WeightWatcher.Deploy.Tests.Support;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// Bad values fail at render time (values.schema.json, or the chart's cross-value checks) with a message
/// that names the value, before anything reaches a cluster.
/// </summary>
public sealed class ValuesSchemaTests
{
    /// <summary>A bad value (as --set) and what helm's message must name.</summary>
    public static TheoryData<string, string> BrokenValues => new()
    {
        // ports
        { "workers.port=70000", "/workers/port" },
        { "workers.port=0", "/workers/port" },
        { "workers.httpPort=4053", "workers.httpPort" },
        { "workers.port=akka", "/workers/port" },
        // log levels
        { "logLevel=Info", "/logLevel" },
        { "logLevel=information", "/logLevel" },
        // cron schedules and time zones
        { "job.schedule=every night", "/job/schedule" },
        { "job.schedule=0 2 * *", "/job/schedule" },
        { "job.timeZone=Central European Time", "/job/timeZone" },
        // resources
        { "workers.resources.requests.cpu=2 cores", "/workers/resources/requests/cpu" },
        { "workers.resources.limits.memory=8GB", "/workers/resources/limits/memory" },
        { "workers.resources.request.cpu=2", "request" },
        { "workers.staging.sizeLimit=big", "/workers/staging/sizeLimit" },
        // misspelled keys
        { "workerz.replicas=3", "workerz" },
        { "workers.replica=3", "replica" },
        { "job.schedul=@daily", "schedul" },
        { "image.tags=1.0", "tags" },
        // an empty secret key, an invalid secret name
        { "store.connectionSecret.key=", "/store/connectionSecret/key" },
        { "store.connectionSecret.name=Blob_Secret", "/store/connectionSecret/name" },
        // types and enums
        { "workers.replicas=three", "/workers/replicas" },
        { "image.pullPolicy=Sometimes", "/image/pullPolicy" },
        { "image.digest=sha256:abc", "/image/digest" },
        { "workers.spread.podAntiAffinity=always", "/workers/spread/podAntiAffinity" },
        { "splitBrain.stableAfter=5 seconds", "/splitBrain/stableAfter" },
        { "store.timeout=soon", "/store/timeout" },
        { "workers.maxMemory=lots", "/workers/maxMemory" },
        { "tls.validityDays=0", "/tls/validityDays" },
        { "tls.existingSecret=Cluster_TLS", "/tls/existingSecret" },
        { "tls.enable=true", "enable" },
        { "job.enabled=yes please", "/job/enabled" },
        { "podLabels.app\\.kubernetes\\.io/name=mine", "app.kubernetes.io/name" },
        // values that only make sense together
        { "workers.minWorkers=4", "workers.minWorkers" },
        { "workers.podDisruptionBudget.maxUnavailable=2", "workers.podDisruptionBudget.maxUnavailable" },
        { "workers.replicas=2", "workers.podDisruptionBudget.maxUnavailable" },
        { "store.connectionSecret.name=", "store.connectionSecret.name" },
        { "azureWorkloadIdentity.enabled=true", "/azureWorkloadIdentity/clientId" },
        { "azureWorkloadIdentity.clientId=00000000-1111-2222-3333-444444444444,azureWorkloadIdentity.enabled=true", "serviceAccount.create" },
    };

    [Theory]
    [MemberData(nameof(BrokenValues))]
    public void A_bad_value_fails_at_render_time_naming_it(string set, string named)
    {
        var result = Helm.TryTemplate(null, set);
        Assert.True(result.ExitCode != 0, $"--set {set} rendered without complaint");
        Assert.True(result.Stderr.Contains(named, StringComparison.Ordinal), $"--set {set}: the message does not name {named}:\n{result.Stderr}");
        Assert.Empty(result.Stdout.Trim());
        TestContext.Current.SendDiagnosticMessage($"--set {set}: {result.Stderr.Split('\n').First(l => l.Contains(named, StringComparison.Ordinal)).Trim()}");
    }

    [Fact]
    public void Workload_identity_renders_when_its_values_agree()
    {
        // The same values as the failing cases above, completed: the checks reject only what is wrong.
        var rendered = Helm.Template(null, "serviceAccount.create=true", "azureWorkloadIdentity.enabled=true",
            "azureWorkloadIdentity.clientId=00000000-1111-2222-3333-444444444444", "store.spec=https://zoo.blob.core.windows.net/models", "store.connectionSecret.name=");
        Assert.Single(rendered.All("ServiceAccount"));
    }

    [Fact]
    public void Two_replicas_render_with_the_budget_off()
    {
        var rendered = Helm.Template(null, "workers.replicas=2", "workers.podDisruptionBudget.enabled=false");
        Assert.Empty(rendered.All("PodDisruptionBudget"));
        Assert.Equal("2", rendered.Single("StatefulSet").Node.Scalar("spec.replicas"));
    }

    [Fact]
    public void The_schema_rejects_unknown_keys_everywhere()
    {
        // A misspelled key anywhere is an error only if every object of the schema closes its properties.
        // Volumes and mounts are Kubernetes objects passed through as they are: the rendered-object schema
        // tests check their fields.
        string[] passThrough = ["#/extraVolumes/items", "#/extraVolumeMounts/items"];
        using var schema = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Chart, "values.schema.json")));
        var open = new List<string>();
        Walk(schema.RootElement, "#");
        Assert.True(open.Count == 0, "schema objects that accept any key: " + string.Join(", ", open));

        void Walk(System.Text.Json.JsonElement node, string path)
        {
            if (node.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                return;
            }
            if (node.TryGetProperty("properties", out var properties))
            {
                bool closed = node.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == System.Text.Json.JsonValueKind.False;
                if (!closed && !passThrough.Contains(path))
                {
                    open.Add(path);
                }
                foreach (var p in properties.EnumerateObject())
                {
                    Walk(p.Value, $"{path}/{p.Name}");
                }
            }
            foreach (var key in new[] { "definitions", "items" })
            {
                if (node.TryGetProperty(key, out var child) && child.ValueKind == System.Text.Json.JsonValueKind.Object)
                {
                    if (key == "items")
                    {
                        Walk(child, path + "/items");
                    }
                    else
                    {
                        foreach (var d in child.EnumerateObject())
                        {
                            Walk(d.Value, $"{path}/{key}/{d.Name}");
                        }
                    }
                }
            }
        }
    }
}
