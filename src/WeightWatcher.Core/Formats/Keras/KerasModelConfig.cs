using System.Text.Json;
using System.Text.RegularExpressions;
using WeightWatcher.Core.Layers;

namespace WeightWatcher.Core.Formats.Keras;

/// <summary>One entry of a Keras model config's layer list.</summary>
/// <param name="Name">The layer's <c>name</c> (what <c>layer.name</c> returns).</param>
/// <param name="ClassName">The Keras class name (<c>Dense</c>, <c>Conv2D</c>, <c>Sequential</c> ...).</param>
/// <param name="Layers">For a nested model, its own layers as <c>model.layers</c> lists them; else null.</param>
public sealed record KerasConfigLayer(string Name, string ClassName, IReadOnlyList<KerasConfigLayer>? Layers)
{
    /// <summary>The reference's Keras typing of this layer (<see cref="LayerTypes.FromKerasClassName"/>).</summary>
    public LayerType Type => TypeOf(ClassName);

    /// <summary>Types a Keras class name (<see cref="LayerTypes.FromKerasClassName"/>).</summary>
    public static LayerType TypeOf(string className) => LayerTypes.FromKerasClassName(className);

    /// <summary>
    /// The group name Keras 3 gives this layer in a <c>.weights.h5</c> file: the snake-cased class name,
    /// with <c>_1</c>, <c>_2</c> ... for repeats among siblings (<c>keras.src.utils.naming.to_snake_case</c>).
    /// </summary>
    public static string SnakeCase(string className)
    {
        string name = Regex.Replace(className, @"\W+", "");
        name = Regex.Replace(name, "(.)([A-Z][a-z]+)", "$1_$2");
        name = Regex.Replace(name, "([a-z])([A-Z])", "$1_$2");
        return name.ToLowerInvariant();
    }
}

/// <summary>
/// Parses a Keras model config (the <c>model_config</c> attribute of a Keras 2 <c>.h5</c> file, or the
/// <c>config.json</c> of a Keras 3 <c>.keras</c> archive) into the layer list <c>model.layers</c> gives:
/// a Sequential model's layers without its leading InputLayer, a functional model's layers with it.
/// </summary>
public static class KerasModelConfig
{
    private const int MaxDepth = 32;

    /// <summary>Parses <paramref name="json"/>; <paramref name="file"/> names the source in errors.</summary>
    /// <exception cref="ModelFormatException">Not JSON, or not a model config with a list of layers.</exception>
    public static IReadOnlyList<KerasConfigLayer> Parse(string file, string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
            var root = doc.RootElement;
            // Some writers wrap the config: {"model_config": {...}}.
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("model_config", out var inner))
            {
                root = inner;
            }
            return ModelLayers(file, root, 0)
                ?? throw new ModelFormatException(file, null, "model config has no 'layers' list");
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(file, null, $"model config is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new ModelFormatException(file, null, $"model config has an unexpected shape: {e.Message}", e);
        }
    }

    /// <summary>
    /// True when <paramref name="json"/> is a Keras model config (an object with <c>class_name</c> and
    /// <c>config</c>, possibly wrapped in <c>model_config</c>); false for other JSON, such as a Hugging Face
    /// <c>config.json</c>. Text that is not JSON counts as a config, so that parsing reports the error.
    /// </summary>
    public static bool IsModelConfig(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("model_config", out var inner))
            {
                root = inner;
            }
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("class_name", out _) && root.TryGetProperty("config", out _);
        }
        catch (JsonException)
        {
            return true;
        }
    }

    private static List<KerasConfigLayer>? ModelLayers(string file, JsonElement model, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ModelFormatException(file, null, $"model config nests models more than {MaxDepth} deep");
        }
        if (model.ValueKind != JsonValueKind.Object || !model.TryGetProperty("config", out var config))
        {
            return null;
        }
        JsonElement list;
        if (config.ValueKind == JsonValueKind.Array)
        {
            list = config; // Keras 2.2 Sequential: the config is the layer list itself
        }
        else if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty("layers", out var l) && l.ValueKind == JsonValueKind.Array)
        {
            list = l;
        }
        else
        {
            return null;
        }
        bool sequential = ClassName(model) == "Sequential";
        var result = new List<KerasConfigLayer>();
        foreach (var entry in list.EnumerateArray())
        {
            string className = ClassName(entry);
            string name = LayerName(entry) ?? throw new ModelFormatException(file, null, $"model config lists a {className} layer without a name");
            if (sequential && result.Count == 0 && className == "InputLayer")
            {
                continue; // Sequential.layers hides its input layer
            }
            result.Add(new KerasConfigLayer(name, className, ModelLayers(file, entry, depth + 1)));
        }
        return result;
    }

    private static string ClassName(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("class_name", out var c) && c.ValueKind == JsonValueKind.String
            ? c.GetString()!
            : "";

    private static string? LayerName(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (e.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object
            && config.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
        {
            return n.GetString();
        }
        return e.TryGetProperty("name", out var n2) && n2.ValueKind == JsonValueKind.String ? n2.GetString() : null;
    }
}
