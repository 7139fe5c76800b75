using PureHDF;

namespace WeightWatcher.Core.Formats.Keras;

/// <summary>
/// Finds the layers of a Keras HDF5 file in <c>model.layers</c> order, with the dataset of each layer's
/// first weight (its kernel).
/// <list type="bullet">
/// <item>Keras 2 (<c>model.save</c> / <c>save_weights</c>): the order is the <c>layer_names</c> attribute
/// (exactly <c>model.layers</c>, InputLayer included for functional models); a layer's weights are its
/// <c>weight_names</c>, the first one is the kernel. A nested model listed in the config is expanded into
/// its own layers, each taking the first of its weight names whose path contains the layer's name.</item>
/// <item>Keras 3 (<c>.weights.h5</c>): layers are the groups under <c>layers/</c>, named by Keras after the
/// snake-cased class (<c>dense</c>, <c>dense_1</c>, <c>conv2d</c> ...), weights under <c>vars/0</c>,
/// <c>vars/1</c> .... With a model config (a <c>model_config</c> attribute, or a <c>config.json</c>
/// beside the file, as a <c>.keras</c> archive holds it) the order and names come from the config,
/// matched to groups by Keras 3's own naming rule; without one, the order is the file's group order
/// (h5py's default is alphabetical, so <c>dense_10</c> comes before <c>dense_2</c>) and the group name
/// is both the name and the class hint. A group holding a <c>layers</c> group is a nested model.</item>
/// </list>
/// </summary>
internal sealed class KerasLayerScanner
{
    private const int MaxDepth = 32;

    private readonly string _file;
    private readonly Hdf5Tensors _tensors;
    private readonly List<KerasLayer> _layers = [];

    private KerasLayerScanner(string file, Hdf5Tensors tensors)
    {
        _file = file;
        _tensors = tensors;
    }

    /// <summary>Detects the layout of the file and lists its layers.</summary>
    /// <exception cref="ModelFormatException">Not a Keras file, or its listings name missing objects.</exception>
    public static (KerasFileLayout Layout, IReadOnlyList<KerasLayer> Layers) Scan(string file, IH5Group root, Hdf5Tensors tensors, string? archiveConfig = null)
    {
        var scanner = new KerasLayerScanner(file, tensors);
        string? configText = archiveConfig ?? Hdf5Attributes.ReadText(file, "/", root, "model_config");
        if (Exists(file, root, "/", "model_weights"))
        {
            var weights = Hdf5Guard.Run(file, "model_weights", "open the group", () => root.Group("model_weights"));
            scanner.ScanKeras2(weights, "model_weights/", Config(file, configText));
            return (KerasFileLayout.Keras2Model, scanner._layers);
        }
        if (Hdf5Attributes.Has(file, "/", root, "layer_names"))
        {
            scanner.ScanKeras2(root, "", Config(file, configText));
            return (KerasFileLayout.Keras2Weights, scanner._layers);
        }
        if (Exists(file, root, "/", "layers"))
        {
            string configSource = file;
            string beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".", "config.json");
            if (configText is null && File.Exists(beside))
            {
                // A config.json of another kind (e.g. a Hugging Face model's) is not ours to read.
                string text = ReadConfigFile(beside);
                if (KerasModelConfig.IsModelConfig(text))
                {
                    configText = text;
                    configSource = beside;
                }
            }
            var layers = Hdf5Guard.Run(file, "layers", "open the group", () => root.Group("layers"));
            scanner.ScanKeras3(layers, "layers", Config(configSource, configText), 0);
            return (KerasFileLayout.Keras3Weights, scanner._layers);
        }
        throw new ModelFormatException(file, null, "HDF5 file is not a Keras model: no 'model_weights' group, 'layer_names' attribute or 'layers' group");
    }

    private static IReadOnlyList<KerasConfigLayer>? Config(string file, string? text) =>
        string.IsNullOrEmpty(text) ? null : KerasModelConfig.Parse(file, text);

    private static string ReadConfigFile(string path)
    {
        try
        {
            if (ModelPaths.FileLength(path) > ReaderLimits.MaxHeaderBytes)
            {
                throw new ModelFormatException(path, null, $"config file is larger than {ReaderLimits.MaxHeaderBytes} bytes");
            }
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, null, $"cannot read config: {e.Message}", e);
        }
    }

    private static bool Exists(string file, IH5Group group, string groupPath, string name) =>
        Hdf5Guard.Run(file, groupPath, $"look for '{name}'", () => group.LinkExists(name));

    private void ScanKeras2(IH5Group weightsRoot, string prefix, IReadOnlyList<KerasConfigLayer>? config)
    {
        string rootPath = prefix.Length == 0 ? "/" : prefix.TrimEnd('/');
        var names = Hdf5Attributes.ReadStrings(_file, rootPath, weightsRoot, "layer_names");
        var byName = new Dictionary<string, KerasConfigLayer>(StringComparer.Ordinal);
        foreach (var c in config ?? [])
        {
            byName.TryAdd(c.Name, c);
        }
        foreach (string name in names)
        {
            string groupPath = prefix + name;
            if (name.Length == 0 || !Exists(_file, weightsRoot, rootPath, name))
            {
                throw new ModelFormatException(_file, groupPath, "listed in layer_names but there is no such group");
            }
            var group = Hdf5Guard.Run(_file, groupPath, "open the layer group", () => weightsRoot.Group(name));
            string[]? weightNames = Hdf5Attributes.Has(_file, groupPath, group, "weight_names")
                ? Hdf5Attributes.ReadStrings(_file, groupPath, group, "weight_names")
                : null;
            byName.TryGetValue(name, out var cfg);
            if (cfg?.Layers is { Count: > 0 } inner && weightNames is not null)
            {
                AddNestedKeras2(groupPath, inner, weightNames);
                continue;
            }
            string? weight = weightNames is null
                ? _tensors.Tensors.FirstOrDefault(t => t.Name.StartsWith(groupPath + "/", StringComparison.Ordinal))?.Name
                : weightNames.Length == 0 ? null : Weight(groupPath, name, weightNames[0]);
            _layers.Add(new KerasLayer(name, groupPath, cfg?.ClassName, weight));
        }
    }

    private void AddNestedKeras2(string groupPath, IReadOnlyList<KerasConfigLayer> inner, string[] weightNames)
    {
        foreach (var sub in inner)
        {
            if (sub.Layers is { Count: > 0 } deeper)
            {
                AddNestedKeras2(groupPath, deeper, weightNames);
                continue;
            }
            string? first = weightNames.FirstOrDefault(w => w.Split('/')[..^1].Contains(sub.Name, StringComparer.Ordinal));
            _layers.Add(new KerasLayer(sub.Name, groupPath + "/" + sub.Name, sub.ClassName, first is null ? null : Weight(groupPath, sub.Name, first)));
        }
    }

    private string Weight(string groupPath, string layerName, string weightName)
    {
        string path = groupPath + "/" + weightName;
        if (_tensors.Find(path) is null)
        {
            throw new ModelFormatException(_file, path, $"listed in weight_names of layer '{layerName}' but there is no such numeric dataset");
        }
        return path;
    }

    private void ScanKeras3(IH5Group layers, string path, IReadOnlyList<KerasConfigLayer>? config, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ModelFormatException(_file, path, $"models nest more than {MaxDepth} deep");
        }
        var groups = Hdf5Guard.Run(_file, path, "list the layer groups", () => layers.Children().OfType<IH5Group>().ToList());
        var byName = new Dictionary<string, IH5Group>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var g in groups)
        {
            string name = Hdf5Guard.Run(_file, path, "read a group name", () => g.Name);
            if (byName.TryAdd(name, g))
            {
                order.Add(name);
            }
        }
        var used = new HashSet<string>(StringComparer.Ordinal);
        if (config is not null && !GroupNames(config).Any(byName.ContainsKey))
        {
            config = null; // a config of another model: none of its layers has a group here
        }
        if (config is not null)
        {
            foreach (var (c, groupName) in config.Zip(GroupNames(config)))
            {
                if (!byName.TryGetValue(groupName, out var g))
                {
                    _layers.Add(new KerasLayer(c.Name, path + "/" + groupName, c.ClassName, null));
                    continue;
                }
                used.Add(groupName);
                AddKeras3Layer(g, path + "/" + groupName, c.Name, c.ClassName, c.Layers, depth);
            }
        }
        foreach (string name in order.Where(n => !used.Contains(n)))
        {
            AddKeras3Layer(byName[name], path + "/" + name, name, config is null ? name : null, null, depth);
        }
    }

    /// <summary>The group names Keras 3 gives the layers of <paramref name="config"/>, in order.</summary>
    private static IEnumerable<string> GroupNames(IReadOnlyList<KerasConfigLayer> config)
    {
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in config)
        {
            string baseName = KerasConfigLayer.SnakeCase(c.ClassName);
            int k = counters.GetValueOrDefault(baseName);
            counters[baseName] = k + 1;
            yield return k == 0 ? baseName : $"{baseName}_{k}";
        }
    }

    private void AddKeras3Layer(IH5Group group, string groupPath, string name, string? className, IReadOnlyList<KerasConfigLayer>? inner, int depth)
    {
        if (Exists(_file, group, groupPath, "layers"))
        {
            var sub = Hdf5Guard.Run(_file, groupPath + "/layers", "open the group", () => group.Group("layers"));
            ScanKeras3(sub, groupPath + "/layers", inner, depth + 1);
            return;
        }
        string varsPrefix = groupPath + "/vars/";
        string? weight = _tensors.Tensors
            .Where(t => t.Name.StartsWith(varsPrefix, StringComparison.Ordinal) && !t.Name[varsPrefix.Length..].Contains('/', StringComparison.Ordinal))
            .Select(t => (t.Name, Index: int.TryParse(t.Name[varsPrefix.Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i) ? i : int.MaxValue))
            .OrderBy(x => x.Index)
            .Select(x => x.Name)
            .FirstOrDefault();
        _layers.Add(new KerasLayer(name, groupPath, className, weight));
    }
}
