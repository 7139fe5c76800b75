using System.Text.Json;
using System.Text.RegularExpressions;
using k8s;

namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>One schema violation: which validator found it, in which document, and its message.</summary>
public sealed record SchemaError(string Validator, int Document, string Object, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"[{Validator}] document {Document} {Object}: {Message}";
}

/// <summary>
/// Kubernetes' schemas, offline, through two validators that together catch unknown fields, wrong types,
/// bad enums and quantities, and missing required fields:
/// <list type="bullet">
/// <item><description><see cref="Strict"/>: the NuGet KubernetesClient's object models, loaded with strict YAML
/// (an unknown field or a value of the wrong type does not deserialize);</description></item>
/// <item><description><see cref="Models"/>: the npm kubernetes-models, JSON-schema validators generated from
/// Kubernetes' OpenAPI (required fields, enums, the quantity format, types).</description></item>
/// </list>
/// </summary>
public static partial class KubernetesSchemas
{
    /// <summary>The documents of a YAML stream (split at <c>---</c> lines; empty ones dropped).</summary>
    public static IReadOnlyList<string> Documents(string stream) =>
        DocumentSeparator().Split(stream)
            .Where(d => d.Split('\n').Any(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')))
            .ToList();

    /// <summary>Both validators over every document of <paramref name="stream"/>.</summary>
    public static IReadOnlyList<SchemaError> Validate(string stream) => [.. Strict(stream), .. Models(stream)];

    /// <summary>KubernetesClient's strict loading of each document into its model type.</summary>
    public static IReadOnlyList<SchemaError> Strict(string stream)
    {
        var errors = new List<SchemaError>();
        var docs = Documents(stream);
        for (int i = 0; i < docs.Count; i++)
        {
            try
            {
                var objects = KubernetesYaml.LoadAllFromString(docs[i], typeMap: null, strict: true);
                if (objects.Count != 1 || objects[0] is null)
                {
                    errors.Add(new SchemaError("KubernetesClient", i, "?", $"expected one object, loaded {objects.Count}"));
                }
            }
            catch (Exception e)
            {
                // YamlException names the line and column; its inner exception the property or value.
                string message = e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
                errors.Add(new SchemaError("KubernetesClient", i, ObjectName(docs[i]), message));
            }
        }
        return errors;
    }

    /// <summary>kubernetes-models' validation of each document (one node process for the stream).</summary>
    public static IReadOnlyList<SchemaError> Models(string stream)
    {
        string node = Tools.NodeWithSchemas;
        string file = Path.Combine(Path.GetTempPath(), $"ww-k8s-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, stream);
        try
        {
            string script = Path.Combine(AppContext.BaseDirectory, "Schemas", "validate-k8s.mjs");
            var result = Proc.Run(node, [script, Tools.NodeModules, file], TimeSpan.FromMinutes(1));
            Assert.True(result.ExitCode == 0, $"validate-k8s.mjs failed: {result}");
            using var json = JsonDocument.Parse(result.Stdout);
            var errors = new List<SchemaError>();
            foreach (var entry in json.RootElement.EnumerateArray())
            {
                string name = $"{entry.GetProperty("kind").GetString()}/{entry.GetProperty("name").GetString()}";
                foreach (var message in entry.GetProperty("errors").EnumerateArray())
                {
                    errors.Add(new SchemaError("kubernetes-models", entry.GetProperty("index").GetInt32(), name, message.GetString()!));
                }
            }
            int documents = json.RootElement.GetArrayLength();
            Assert.True(documents == Documents(stream).Count, $"kubernetes-models saw {documents} documents, the stream has {Documents(stream).Count}");
            return errors;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string ObjectName(string doc)
    {
        string kind = KindLine().Match(doc) is { Success: true } k ? k.Groups[1].Value : "?";
        string name = NameLine().Match(doc) is { Success: true } n ? n.Groups[1].Value : "?";
        return $"{kind}/{name}";
    }

    [GeneratedRegex(@"(?m)^---[ \t]*\r?$")]
    private static partial Regex DocumentSeparator();

    [GeneratedRegex(@"(?m)^kind:\s*(\S+)")]
    private static partial Regex KindLine();

    [GeneratedRegex(@"(?m)^  name:\s*(\S+)")]
    private static partial Regex NameLine();
}
