using System.Text.Json;
using WeightWatcher.Core.Layers;

namespace WeightWatcher.Core.Formats.TfJs;

/// <summary>A layer of a TF.js layers model, as Keras's <c>model.layers</c> would list it.</summary>
/// <param name="Name">The layer's name.</param>
/// <param name="ClassName">The Keras class name (<c>Dense</c>, <c>Conv2D</c> ...).</param>
public sealed record TfJsLayer(string Name, string ClassName)
{
    /// <summary>The reference's Keras typing of this layer (<see cref="LayerTypes.FromKerasClassName"/>).</summary>
    public LayerType Type => LayerTypes.FromKerasClassName(ClassName);
}

/// <summary>
/// Reads the Keras-style <c>modelTopology</c> of a TF.js layers model into the layer list the reference
/// enumerates: a Sequential model's layers without its implicit InputLayer, a functional model's layers
/// (InputLayer included, as Keras lists it), and a nested model replaced by its own layers.
/// </summary>
internal static class TfJsTopology
{
    private const int MaxDepth = 32;

    public static List<TfJsLayer> Read(string modelJson, JsonElement topology)
    {
        // tfjs-converter writes {"model_config": {...}, "keras_version": ...}; tfjs's own save writes the model config itself.
        var model = topology.ValueKind == JsonValueKind.Object && topology.TryGetProperty("model_config", out var inner) ? inner : topology;
        var layers = new List<TfJsLayer>();
        AddModel(modelJson, model, layers, 0);
        return layers;
    }

    /// <summary>True when the element is a (nested) model: a class with a list of layers.</summary>
    private static bool IsModel(JsonElement e, out JsonElement layers, out bool sequential)
    {
        layers = default;
        sequential = false;
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("config", out var config))
        {
            return false;
        }
        sequential = ClassName(e) == "Sequential";
        if (config.ValueKind == JsonValueKind.Array)
        {
            layers = config;
            return true;
        }
        if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty("layers", out var l) && l.ValueKind == JsonValueKind.Array)
        {
            layers = l;
            return true;
        }
        return false;
    }

    private static void AddModel(string modelJson, JsonElement model, List<TfJsLayer> result, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ModelFormatException(modelJson, null, $"modelTopology nests models more than {MaxDepth} deep");
        }
        if (!IsModel(model, out var layers, out bool sequential))
        {
            throw new ModelFormatException(modelJson, null, "modelTopology has no model config with a 'layers' list");
        }
        foreach (var layer in layers.EnumerateArray())
        {
            if (IsModel(layer, out _, out _))
            {
                AddModel(modelJson, layer, result, depth + 1);
                continue;
            }
            string className = ClassName(layer);
            if (sequential && className == "InputLayer")
            {
                continue;
            }
            string? name = null;
            if (layer.ValueKind == JsonValueKind.Object)
            {
                if (layer.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object
                    && c.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
                {
                    name = n.GetString();
                }
                else if (layer.TryGetProperty("name", out var top) && top.ValueKind == JsonValueKind.String)
                {
                    name = top.GetString();
                }
            }
            if (name is null || className.Length == 0)
            {
                throw new ModelFormatException(modelJson, null, $"modelTopology layer {result.Count} has no class_name or name");
            }
            result.Add(new TfJsLayer(name, className));
        }
    }

    private static string ClassName(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("class_name", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
}
