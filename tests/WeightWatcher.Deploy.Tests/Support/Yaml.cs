using YamlDotNet.RepresentationModel;

namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>Small helpers over YamlDotNet's representation model: load documents, walk paths, read scalars.</summary>
public static class Yaml
{
    /// <summary>Every non-empty document of a YAML stream (a file may hold several, separated by ---).</summary>
    public static IReadOnlyList<YamlNode> LoadAll(string text)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(text);
        stream.Load(reader);
        return stream.Documents
            .Select(d => d.RootNode)
            .Where(n => n is not YamlScalarNode { Value: null or "" })
            .ToList();
    }

    /// <summary>The single document of a YAML file.</summary>
    public static YamlMappingNode LoadMapping(string path)
    {
        var docs = LoadAll(File.ReadAllText(path));
        Assert.True(docs.Count == 1, $"{path}: expected one YAML document, found {docs.Count}");
        return Assert.IsType<YamlMappingNode>(docs[0]);
    }

    /// <summary>The node at a dotted path of mapping keys, or null when any step is missing.</summary>
    public static YamlNode? Find(this YamlNode node, string dottedPath)
    {
        YamlNode? current = node;
        foreach (var key in dottedPath.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out current))
            {
                return null;
            }
        }
        return current;
    }

    /// <summary>
    /// The scalar under a key that itself holds dots (labels and annotations such as <c>helm.sh/hook</c>) in the
    /// mapping at <paramref name="dottedPath"/>, or null when either is missing.
    /// </summary>
    public static string? KeyScalar(this YamlNode node, string dottedPath, string key) =>
        node.Find(dottedPath) is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value)
            ? (value as YamlScalarNode)?.Value
            : null;

    /// <summary>The node at a dotted path; fails the test when it is missing.</summary>
    public static YamlNode At(this YamlNode node, string dottedPath) =>
        node.Find(dottedPath) ?? throw new Xunit.Sdk.XunitException($"missing YAML path {dottedPath}");

    /// <summary>The scalar at a dotted path.</summary>
    public static string Scalar(this YamlNode node, string dottedPath) =>
        node.At(dottedPath) is YamlScalarNode { Value: { } v } ? v : throw new Xunit.Sdk.XunitException($"{dottedPath} is not a scalar");

    /// <summary>The scalar at a dotted path, or null when missing.</summary>
    public static string? ScalarOrNull(this YamlNode node, string dottedPath) => (node.Find(dottedPath) as YamlScalarNode)?.Value;

    /// <summary>The sequence at a dotted path.</summary>
    public static YamlSequenceNode Sequence(this YamlNode node, string dottedPath) =>
        node.At(dottedPath) as YamlSequenceNode ?? throw new Xunit.Sdk.XunitException($"{dottedPath} is not a sequence");

    /// <summary>The items of a sequence of scalars.</summary>
    public static IReadOnlyList<string> Scalars(this YamlSequenceNode seq) =>
        seq.Children.Select(c => c is YamlScalarNode { Value: { } v } ? v : throw new Xunit.Sdk.XunitException($"sequence item {c} is not a scalar")).ToList();

    /// <summary>Dotted paths of every leaf (scalar, sequence, or empty mapping) below a mapping.</summary>
    public static IEnumerable<string> LeafPaths(YamlMappingNode map, string prefix = "")
    {
        foreach (var (k, v) in map.Children)
        {
            string path = prefix + ((YamlScalarNode)k).Value;
            if (v is YamlMappingNode { Children.Count: > 0 } child)
            {
                foreach (var leaf in LeafPaths(child, path + "."))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return path;
            }
        }
    }

    /// <summary>Structural equality of two YAML trees (scalars compared as text, mappings by key).</summary>
    public static bool SameTree(YamlNode a, YamlNode b) => (a, b) switch
    {
        (YamlScalarNode x, YamlScalarNode y) => x.Value == y.Value,
        (YamlSequenceNode x, YamlSequenceNode y) => x.Children.Count == y.Children.Count && x.Children.Zip(y.Children).All(p => SameTree(p.First, p.Second)),
        (YamlMappingNode x, YamlMappingNode y) => x.Children.Count == y.Children.Count
            && x.Children.All(kv => y.Children.TryGetValue(kv.Key, out var other) && SameTree(kv.Value, other)),
        _ => false,
    };
}
