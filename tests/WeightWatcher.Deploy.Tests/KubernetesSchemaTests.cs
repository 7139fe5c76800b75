using WeightWatcher.Deploy.Tests.Support;

namespace WeightWatcher.Deploy.Tests;

/// <summary>
/// The two schema validators the chart tests use, shown to catch what they are for: each broken case is the
/// chart's real worker StatefulSet with one deliberate fault. KubernetesClient's strict loading catches
/// unknown fields and wrong types; kubernetes-models catches bad enums, bad quantities, missing required
/// fields and wrong types. Together (what the chart tests run) they catch all of them.
/// </summary>
public sealed class KubernetesSchemaTests
{
    public static TheoryData<string, string, string, string> BrokenCases => new()
    {
        // name, text in the rendered StatefulSet, its replacement, the validator that must catch it
        { "unknown field", "  serviceName: weightwatcher-workers", "  serviceNmae: weightwatcher-workers", "KubernetesClient" },
        { "unknown field in a container", "          imagePullPolicy: IfNotPresent", "          imagePullPolicy: IfNotPresent\n          restartPolicyy: Always", "KubernetesClient" },
        { "wrong type", "  replicas: 3", "  replicas: three", "KubernetesClient" },
        { "wrong type (schema)", "  replicas: 3", "  replicas: three", "kubernetes-models" },
        { "bad enum", "          imagePullPolicy: IfNotPresent", "          imagePullPolicy: Sometimes", "kubernetes-models" },
        { "bad enum in a probe scheme", "              path: /ready", "              path: /ready\n              scheme: HTTPX", "kubernetes-models" },
        { "bad quantity", "              memory: 8Gi", "              memory: 8 gigabytes", "kubernetes-models" },
        { "bad quantity in a volume", "            sizeLimit: 24Gi", "            sizeLimit: lots", "kubernetes-models" },
        { "missing required field", "        - name: ww\n", "        - \n", "kubernetes-models" },
        { "missing required selector", "  selector:\n    matchLabels:", "  selectr:\n    matchLabels:", "kubernetes-models" },
    };

    [Fact]
    public void The_rendered_stateful_set_passes_both_validators()
    {
        string doc = WorkerStatefulSet();
        Assert.Empty(KubernetesSchemas.Strict(doc));
        Assert.Empty(KubernetesSchemas.Models(doc));
    }

    [Theory]
    [MemberData(nameof(BrokenCases))]
    public void Each_broken_case_is_caught_by_its_validator(string fault, string text, string replacement, string validator)
    {
        string doc = WorkerStatefulSet();
        Assert.Contains(text, doc);
        string broken = doc.Replace(text, replacement, StringComparison.Ordinal);
        var errors = validator == "KubernetesClient" ? KubernetesSchemas.Strict(broken) : KubernetesSchemas.Models(broken);
        Assert.True(errors.Count > 0, $"{validator} let the {fault} through:\n{replacement}");
        Assert.All(errors, e => Assert.Equal(validator, e.Validator));
        // What the chart tests run, both validators together, catches it too, and says where.
        var all = KubernetesSchemas.Validate(broken);
        Assert.NotEmpty(all);
        Assert.All(all, e => Assert.Equal("StatefulSet/weightwatcher-worker", e.Object));
        TestContext.Current.SendDiagnosticMessage($"{fault}: {string.Join(" | ", all)}");
    }

    [Fact]
    public void Unknown_fields_need_the_strict_loader_and_enums_the_schema_models()
    {
        // Why two validators: each is blind to what the other catches.
        string doc = WorkerStatefulSet();
        string unknownField = doc.Replace("  serviceName:", "  serviceNmae:", StringComparison.Ordinal);
        string badEnum = doc.Replace("imagePullPolicy: IfNotPresent", "imagePullPolicy: Sometimes", StringComparison.Ordinal);
        Assert.NotEmpty(KubernetesSchemas.Strict(unknownField));
        Assert.DoesNotContain(KubernetesSchemas.Models(unknownField), e => e.Message.Contains("serviceNmae", StringComparison.Ordinal));
        Assert.NotEmpty(KubernetesSchemas.Models(badEnum));
        Assert.Empty(KubernetesSchemas.Strict(badEnum));
    }

    [Fact]
    public void An_unknown_kind_is_an_error()
    {
        string doc = WorkerStatefulSet().Replace("kind: StatefulSet", "kind: StatefulSett", StringComparison.Ordinal);
        Assert.NotEmpty(KubernetesSchemas.Strict(doc));
        Assert.Contains(KubernetesSchemas.Models(doc), e => e.Message.Contains("no schema", StringComparison.Ordinal));
    }

    private static string WorkerStatefulSet() =>
        KubernetesSchemas.Documents(File.ReadAllText(Path.Combine(RepoPaths.Manifests, "worker-statefulset.yaml"))).Single();
}
