using System.Text.Json;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.TfJs;

/// <summary>
/// Reads a TF.js model: <c>model.json</c> with a <c>weightsManifest</c> and its binary shards.
/// Layers models (<c>format: "layers-model"</c>) declare their layers as Keras does: ids from 0 over the
/// topology's layers, name = layer name, type from the layer class, weight = the layer's first manifest
/// weight (its kernel), kernel-first layout. Graph models (<c>format: "graph-model"</c>, or no Keras
/// topology) follow the state-dict rules over every weight, in manifest order. float32, float16, int32 and
/// bool weights are read (integer ones are skipped by the layer rules; string weights are stepped over and
/// not listed); uint8/uint16 affine quantization
/// (<c>q * scale + min</c>, rounded to float32 as TF.js stores it) and float16 quantization are decoded.
/// </summary>
public sealed class TfJsReader : IModelReader
{
    /// <summary>The file name of a TF.js model's description.</summary>
    public const string ModelJsonFileName = "model.json";

    private readonly FileRangeReader _io = new();
    private readonly Dictionary<string, TfJsWeight> _byName = new(StringComparer.Ordinal);

    private TfJsReader(string path)
    {
        ModelPath = path;
    }

    /// <inheritdoc />
    public string ModelPath { get; }

    /// <inheritdoc />
    public string FormatName => IsLayersModel ? "tfjs-layers" : IsBareManifest ? "tfjs-weights" : "tfjs-graph";

    /// <summary>True for a bare weights manifest (a JSON array of groups, as face-api.js ships its models).</summary>
    public bool IsBareManifest { get; private set; }

    /// <summary>True for a layers model (Keras topology), false for a graph model.</summary>
    public bool IsLayersModel => Layers is not null;

    /// <summary>The Keras layers of a layers model, in topology order; null for a graph model.</summary>
    public IReadOnlyList<TfJsLayer>? Layers { get; private set; }

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Tensors { get; private set; } = [];

    /// <summary>The manifest entries, with their byte layout across shards.</summary>
    public IReadOnlyList<TfJsWeight> Weights { get; private set; } = [];

    /// <inheritdoc />
    public IReadOnlyList<LayerCandidate>? DeclaredLayers { get; private set; }

    /// <summary>
    /// True when <paramref name="file"/> looks like a TF.js <c>model.json</c> (a JSON object that mentions
    /// <c>weightsManifest</c>, scanned in 64 KiB windows without parsing) or a bare weights manifest as
    /// face-api.js ships them (<c>*-weights_manifest.json</c>: a JSON array whose first 64 KiB mention
    /// <c>paths</c> and <c>weights</c>).
    /// </summary>
    public static bool LooksLikeModelJson(string file)
    {
        try
        {
            if (!File.Exists(file))
            {
                return false;
            }
            long length = ModelPaths.FileLength(file);
            if (length > ReaderLimits.MaxHeaderBytes || length < 2)
            {
                return false;
            }
            using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
            var head = new byte[Math.Min(length, 1 << 16)];
            int n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            int first = 0;
            while (first < n && head[first] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF)
            {
                first++;
            }
            if (first < n && head[first] == (byte)'[')
            {
                var start = head.AsSpan(0, n);
                return start.IndexOf("\"paths\""u8) >= 0 && start.IndexOf("\"weights\""u8) >= 0;
            }
            if (first >= n || head[first] != (byte)'{')
            {
                return false;
            }
            var needle = "\"weightsManifest\""u8;
            if (head.AsSpan(0, n).IndexOf(needle) >= 0)
            {
                return true;
            }
            // The manifest usually follows the topology, which can be large: scan the rest in windows.
            var window = new byte[(1 << 16) + needle.Length];
            head.AsSpan(n - Math.Min(n, needle.Length), Math.Min(n, needle.Length)).CopyTo(window);
            int carry = Math.Min(n, needle.Length);
            while (true)
            {
                int m = fs.Read(window, carry, window.Length - carry);
                if (m <= 0)
                {
                    return false;
                }
                if (window.AsSpan(0, carry + m).IndexOf(needle) >= 0)
                {
                    return true;
                }
                int keep = Math.Min(carry + m, needle.Length);
                window.AsSpan(carry + m - keep, keep).CopyTo(window);
                carry = keep;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Opens a TF.js model from its <c>model.json</c> or the directory holding it.</summary>
    /// <exception cref="ModelFormatException">The description or a shard cannot be read as claimed.</exception>
    public static TfJsReader Open(string path)
    {
        string modelJson = Directory.Exists(path) ? Path.Combine(path, ModelJsonFileName) : path;
        var r = new TfJsReader(path);
        try
        {
            using var doc = Parse(modelJson);
            var root = doc.RootElement;
            JsonElement manifest;
            if (root.ValueKind == JsonValueKind.Array)
            {
                // A bare weights manifest (face-api.js): weights only, no topology.
                manifest = root;
                r.IsBareManifest = true;
            }
            else if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("weightsManifest", out manifest))
            {
                throw new ModelFormatException(modelJson, null, "not a TF.js model.json (no 'weightsManifest')");
            }
            var weights = TfJsManifest.Read(r._io, modelJson, manifest);
            r.Weights = weights;
            r.Tensors = weights.Select(w => w.Info).ToList();
            foreach (var w in weights)
            {
                r._byName.Add(w.Info.Name, w);
            }
            if (!r.IsBareManifest && IsLayersFormat(modelJson, root, out var topology))
            {
                var layers = TfJsTopology.Read(modelJson, topology);
                r.Layers = layers;
                r.DeclaredLayers = Declare(layers, weights);
            }
            return r;
        }
        catch (InvalidOperationException e)
        {
            // Valid JSON syntax whose strings are not valid UTF-8 or UTF-16 (e.g. a lone "\ud800").
            r.Dispose();
            throw new ModelFormatException(modelJson, null, $"model.json holds a string that is not valid Unicode: {e.Message}", e);
        }
        catch
        {
            r.Dispose();
            throw;
        }
    }

    private static JsonDocument Parse(string modelJson)
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(modelJson))
            {
                throw new ModelFormatException(modelJson, null, "no such file");
            }
            if (ModelPaths.FileLength(modelJson) > ReaderLimits.MaxHeaderBytes)
            {
                throw new ModelFormatException(modelJson, null, $"model.json is larger than {ReaderLimits.MaxHeaderBytes} bytes");
            }
            bytes = File.ReadAllBytes(modelJson);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(modelJson, null, $"cannot read: {e.Message}", e);
        }
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(modelJson, null, $"invalid JSON: {e.Message}", e);
        }
    }

    private static bool IsLayersFormat(string modelJson, JsonElement root, out JsonElement topology)
    {
        bool hasTopology = root.TryGetProperty("modelTopology", out topology) && topology.ValueKind == JsonValueKind.Object;
        string? format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        switch (format)
        {
            case "layers-model":
                if (!hasTopology)
                {
                    throw new ModelFormatException(modelJson, null, "layers model has no 'modelTopology' object");
                }
                return true;
            case "graph-model":
                return false;
            default:
                // Older files carry no format: a Keras topology has a class name or a model_config; a graph has nodes.
                return hasTopology && (topology.TryGetProperty("class_name", out _) || topology.TryGetProperty("model_config", out _));
        }
    }

    /// <summary>
    /// Keras ids over the layers from 0; a layer's weight is the first manifest weight whose name has the
    /// layer's name as a path segment (the deepest such segment decides, so <c>model/dense/kernel</c>
    /// belongs to layer <c>dense</c>, not to a container named <c>model</c>).
    /// </summary>
    private static List<LayerCandidate> Declare(List<TfJsLayer> layers, List<TfJsWeight> weights)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < layers.Count; i++)
        {
            index.TryAdd(layers[i].Name, i);
        }
        var firstWeight = new TensorInfo?[layers.Count];
        foreach (var w in weights)
        {
            var segments = w.Info.Name.Split('/');
            for (int s = segments.Length - 2; s >= 0; s--)
            {
                if (index.TryGetValue(segments[s], out int owner))
                {
                    firstWeight[owner] ??= w.Info;
                    break;
                }
            }
        }
        return layers.Select((l, i) => new LayerCandidate(i, l.Name, l.Name, l.Type, firstWeight[i], ConvLayout.First, l.ClassName)).ToList();
    }

    /// <inheritdoc />
    public void ReadTensor(TensorInfo tensor, Span<double> destination)
    {
        var w = Entry(tensor);
        TensorReads.RequireLength(tensor, destination, Check(w));
        Decode(w, destination);
    }

    private TfJsWeight Entry(TensorInfo tensor) => TensorReads.Entry(_byName, tensor, w => w.Info);

    private int Check(TfJsWeight w)
    {
        var t = w.Info;
        int count = TensorReads.ElementCount(t);
        foreach (var s in w.Segments)
        {
            long length = _io.Length(s.File);
            if (s.Length > length - s.Offset)
            {
                throw new ModelFormatException(s.File, t.Name, $"byte range [{s.Offset}, {s.Offset + s.Length}) lies beyond the end of the shard ({length} bytes; it shrank after opening)");
            }
        }
        return count;
    }

    private void Decode(TfJsWeight w, Span<double> destination)
    {
        var quantization = w.Quantization?.StoredType is DType.U8 or DType.U16 ? w.Quantization : null;
        TensorReads.DecodeInChunks(
            destination.Length, DTypes.SizeOf(w.StoredType), 1, destination,
            (offset, bytes) => ReadStored(w, offset, bytes),
            (bytes, values) =>
            {
                ElementConverter.ToDouble(bytes, w.StoredType, values);
                if (quantization is { } q)
                {
                    for (int i = 0; i < values.Length; i++)
                    {
                        // TF.js computes in doubles and stores into a Float32Array.
                        values[i] = (float)((values[i] * q.Scale) + q.Min);
                    }
                }
            });
    }

    /// <summary>Reads the weight's stored bytes [offset, offset + destination.Length) across its segments.</summary>
    private void ReadStored(TfJsWeight w, long offset, Span<byte> destination)
    {
        long segmentStart = 0;
        int done = 0;
        foreach (var s in w.Segments)
        {
            long want = offset + done;
            if (done < destination.Length && want < segmentStart + s.Length)
            {
                long from = want - segmentStart;
                int n = (int)Math.Min(s.Length - from, destination.Length - done);
                _io.ReadExactly(s.File, s.Offset + from, destination.Slice(done, n));
                done += n;
            }
            segmentStart += s.Length;
        }
        if (done != destination.Length)
        {
            throw new ModelFormatException(w.Info.SourceFile, w.Info.Name, "weight bytes end before its shape says");
        }
    }

    /// <inheritdoc />
    public void Dispose() => _io.Dispose();
}
