using YamlDotNet.RepresentationModel;

namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>One Kubernetes object of deploy/k8s and the file it came from.</summary>
public sealed record Manifest(string File, YamlMappingNode Node)
{
    public string Kind => Node.Scalar("kind");

    public string Name => Node.Scalar("metadata.name");

    public override string ToString() => $"{Kind}/{Name} ({Path.GetFileName(File)})";
}

/// <summary>The plain manifests under deploy/k8s (the chart rendered with its defaults).</summary>
public static class Manifests
{
    private static readonly Lazy<IReadOnlyList<Manifest>> s_all = new(Load);

    /// <summary>The YAML files under deploy/k8s.</summary>
    public static IReadOnlyList<string> Files =>
        Directory.EnumerateFiles(RepoPaths.Manifests, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Every object of every file.</summary>
    public static IReadOnlyList<Manifest> All => s_all.Value;

    /// <summary>The one object of a kind; fails unless there is exactly one.</summary>
    public static Manifest Single(string kind, Func<Manifest, bool>? where = null)
    {
        var matches = All.Where(m => m.Kind == kind && (where?.Invoke(m) ?? true)).ToList();
        Assert.True(matches.Count == 1, $"expected one {kind} under deploy/k8s, found {matches.Count}");
        return matches[0];
    }

    /// <summary>The worker StatefulSet.</summary>
    public static Manifest StatefulSet => Single("StatefulSet");

    /// <summary>The headless Service of the workers.</summary>
    public static Manifest HeadlessService => Single("Service", m => m.Node.ScalarOrNull("spec.clusterIP") == "None");

    /// <summary>The nightly zoo CronJob.</summary>
    public static Manifest CronJob => Single("CronJob");

    /// <summary>The workers' PodDisruptionBudget.</summary>
    public static Manifest PodDisruptionBudget => Single("PodDisruptionBudget");

    /// <summary>The one container of a pod spec.</summary>
    public static YamlMappingNode Container(YamlNode podSpec)
    {
        var containers = podSpec.Sequence("containers");
        Assert.Single(containers.Children);
        return Assert.IsType<YamlMappingNode>(containers.Children[0]);
    }

    /// <summary>A container's env entries by name.</summary>
    public static IReadOnlyDictionary<string, YamlMappingNode> Env(YamlMappingNode container)
    {
        var env = new Dictionary<string, YamlMappingNode>(StringComparer.Ordinal);
        if (container.Find("env") is YamlSequenceNode seq)
        {
            foreach (var entry in seq.Children.Cast<YamlMappingNode>())
            {
                string name = entry.Scalar("name");
                Assert.True(env.TryAdd(name, entry), $"env {name} is set twice");
            }
        }
        return env;
    }

    /// <summary>The container port with the given name.</summary>
    public static int ContainerPort(YamlMappingNode container, string name) =>
        int.Parse(container.Sequence("ports").Children.Cast<YamlMappingNode>().Single(p => p.ScalarOrNull("name") == name).Scalar("containerPort"));

    private static IReadOnlyList<Manifest> Load()
    {
        var list = new List<Manifest>();
        foreach (var file in Files)
        {
            foreach (var doc in Yaml.LoadAll(File.ReadAllText(file)))
            {
                list.Add(new Manifest(file, Assert.IsType<YamlMappingNode>(doc)));
            }
        }
        return list;
    }
}
