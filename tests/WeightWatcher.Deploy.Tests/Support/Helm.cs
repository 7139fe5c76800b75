using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>What <c>helm template</c> rendered: the YAML stream and its objects, each with its template.</summary>
public sealed partial class Rendered
{
    /// <summary>Parses helm's output.</summary>
    public Rendered(string text)
    {
        Text = text;
        var objects = new List<Manifest>();
        foreach (var doc in KubernetesSchemas.Documents(text))
        {
            string source = SourceHeader().Match(doc) is { Success: true } m ? m.Groups[1].Value : "(no # Source header)";
            foreach (var node in Yaml.LoadAll(doc))
            {
                objects.Add(new Manifest(source, Assert.IsType<YamlMappingNode>(node)));
            }
        }
        Objects = objects;
    }

    /// <summary>The YAML stream as helm printed it.</summary>
    public string Text { get; }

    /// <summary>Every rendered object.</summary>
    public IReadOnlyList<Manifest> Objects { get; }

    /// <summary>The one object of a kind; fails unless there is exactly one.</summary>
    public Manifest Single(string kind)
    {
        var matches = Objects.Where(o => o.Kind == kind).ToList();
        Assert.True(matches.Count == 1, $"expected one {kind}, rendered {matches.Count}: {string.Join(", ", Objects)}");
        return matches[0];
    }

    /// <summary>The objects of a kind.</summary>
    public IReadOnlyList<Manifest> All(string kind) => Objects.Where(o => o.Kind == kind).ToList();

    /// <summary>The worker pod spec.</summary>
    public YamlNode WorkerPod => Single("StatefulSet").Node.At("spec.template.spec");

    /// <summary>The zoo job's pod spec.</summary>
    public YamlNode JobPod => Single("CronJob").Node.At("spec.jobTemplate.spec.template.spec");

    /// <summary>Every pod template (workers, zoo job) and pod (helm test) with the object it belongs to.</summary>
    public IEnumerable<(Manifest Owner, YamlNode Spec, YamlNode Metadata)> Pods =>
        Objects.Select(o => o.Kind switch
            {
                "StatefulSet" => (o, o.Node.Find("spec.template.spec"), o.Node.Find("spec.template.metadata")),
                "CronJob" => (o, o.Node.Find("spec.jobTemplate.spec.template.spec"), o.Node.Find("spec.jobTemplate.spec.template.metadata")),
                "Pod" => (o, o.Node.Find("spec"), o.Node.Find("metadata")),
                _ => (o, null, null),
            })
            .Where(p => p.Item2 is not null)
            .Select(p => (p.o, p.Item2!, p.Item3!));

    [GeneratedRegex(@"(?m)^# Source: (\S+)")]
    private static partial Regex SourceHeader();
}

/// <summary>The real Helm (v4, from .tools/bin/helm) over the chart in helm/weightwatcher-cluster.</summary>
public static class Helm
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs helm with <paramref name="args"/>.</summary>
    public static ProcResult Run(params string[] args) => Proc.Run(Tools.Helm, args, Timeout);

    /// <summary><c>helm lint --strict</c> of the chart, with an optional values file's text.</summary>
    public static ProcResult Lint(string? valuesYaml = null) => WithValues(valuesYaml, file => Run(["lint", "--strict", RepoPaths.Chart, .. file]));

    /// <summary>
    /// <c>helm template weightwatcher &lt;chart&gt; --namespace default</c> with a values file's text and
    /// <c>--set</c> pairs; returns the result whatever the exit code.
    /// </summary>
    public static ProcResult TryTemplate(string? valuesYaml = null, params string[] set) =>
        WithValues(valuesYaml, file => Run(["template", "weightwatcher", RepoPaths.Chart, "--namespace", "default", .. file, .. set.SelectMany(s => new[] { "--set", s })]));

    /// <summary>Renders the chart; fails the test when helm does.</summary>
    public static Rendered Template(string? valuesYaml = null, params string[] set)
    {
        var result = TryTemplate(valuesYaml, set);
        Assert.True(result.ExitCode == 0, $"helm template failed with values\n{valuesYaml}\n--set {string.Join(" --set ", set)}\n{result}");
        return new Rendered(result.Stdout);
    }

    private static ProcResult WithValues(string? valuesYaml, Func<string[], ProcResult> run)
    {
        if (valuesYaml is null)
        {
            return run([]);
        }
        string file = Path.Combine(Path.GetTempPath(), $"ww-values-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, valuesYaml);
        try
        {
            return run(["--values", file]);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
