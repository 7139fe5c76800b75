using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Layers;

/// <summary>
/// Turns a model's tensor headers into the layers the reference would analyze. State-dict-like inputs
/// (safetensors, numpy, PyTorch): ids from 1 counting every <c>.weight</c> key, typing by rank. Readers
/// of other conventions declare their layers (<see cref="IModelReader.DeclaredLayers"/>). Then, for all:
/// the <c>layers</c> filter, <c>min_evals</c>, <c>max_evals</c> and <c>max_N</c>.
/// </summary>
public static class LayerEnumerator
{
    private const string WeightSuffix = ".weight";

    /// <summary>Every weight-like layer of <paramref name="model"/> with its id and type, supported or not.</summary>
    public static IReadOnlyList<LayerInfo> EnumerateAll(IModelReader model) =>
        model.DeclaredLayers is { } declared ? declared.Select(Describe).ToList() : EnumerateAll(model.Tensors);

    /// <summary>The layers (or conv slices, when <c>pool=false</c>) of <paramref name="model"/> that pass every filter.</summary>
    public static IReadOnlyList<LayerInfo> EnumerateSupported(IModelReader model, AnalysisOptions options) =>
        Supported(EnumerateAll(model), options);

    /// <summary>Types a declared layer and computes N, M and rf from its weight's shape.</summary>
    public static LayerInfo Describe(LayerCandidate c)
    {
        if (c.Weight is null)
        {
            // Weightless layers are never analyzed; Flatten and norm layers keep their type for display.
            var type = c.Type is LayerType.Norm or LayerType.Flattened ? c.Type : LayerType.Unknown;
            return new LayerInfo(c.LayerId, c.Name, c.LongName, type, new TensorInfo(c.Name, DType.F32, [], "", 0, 0), 0, 0, 1);
        }
        var byShape = Describe(c.LayerId, c.Name, c.Weight) with { LongName = c.LongName };
        if (byShape.Type == LayerType.Unknown || c.Type is LayerType.Unknown or LayerType.Norm or LayerType.Flattened)
        {
            return byShape with { Type = c.Type is LayerType.Norm or LayerType.Flattened ? c.Type : LayerType.Unknown };
        }
        // The framework's type names a 2-D weight (dense, conv1d, embedding); a 4-D kernel is a Conv2D.
        return byShape.Type == LayerType.Conv2D ? byShape : byShape with { Type = c.Type };
    }

    /// <summary>Every weight-like tensor with its id and type, supported or not.</summary>
    public static IReadOnlyList<LayerInfo> EnumerateAll(IReadOnlyList<TensorInfo> tensors)
    {
        // A plain array file (e.g. a single .npy) has no ".weight" keys: every tensor is then a weight.
        bool anyWeightKey = tensors.Any(t => t.Name.EndsWith(WeightSuffix, StringComparison.Ordinal));
        var result = new List<LayerInfo>();
        int id = 0;
        foreach (var t in tensors)
        {
            if (anyWeightKey && !t.Name.EndsWith(WeightSuffix, StringComparison.Ordinal))
            {
                continue;
            }
            id++;
            string name = anyWeightKey ? t.Name[..^WeightSuffix.Length] : t.Name;
            result.Add(Describe(id, name, t));
        }
        return result;
    }

    /// <summary>The layers (or conv slices, when <c>pool=false</c>) that pass every filter, in id order.</summary>
    public static IReadOnlyList<LayerInfo> EnumerateSupported(IReadOnlyList<TensorInfo> tensors, AnalysisOptions options) =>
        Supported(EnumerateAll(tensors), options);

    private static IReadOnlyList<LayerInfo> Supported(IReadOnlyList<LayerInfo> all, AnalysisOptions options)
    {
        var selection = new LayerSelection(options.Layers);
        var result = new List<LayerInfo>();
        foreach (var layer in all)
        {
            if (!IsSupported(layer, options, selection))
            {
                continue;
            }
            if (!options.Pool && layer.Type == LayerType.Conv2D)
            {
                for (int s = 0; s < layer.Rf; s++)
                {
                    result.Add(layer with { SliceId = s });
                }
            }
            else
            {
                result.Add(layer);
            }
        }
        return result;
    }

    /// <summary>The reference's <c>layer_supported</c> checks, in its order.</summary>
    public static bool IsSupported(LayerInfo layer, AnalysisOptions options, LayerSelection selection)
    {
        if (selection.IsFilteredOut(layer.LayerId, layer.Name, layer.Type))
        {
            return false;
        }
        if (layer.Type is LayerType.Unknown or LayerType.Norm or LayerType.Flattened)
        {
            return false;
        }
        long evals = options.Pool ? (long)layer.M * layer.Rf : layer.M;
        if (options.MinEvals != 0 && evals < options.MinEvals)
        {
            return false;
        }
        if (options.MaxEvals != 0 && evals > options.MaxEvals)
        {
            return false;
        }
        if (options.MaxN != 0 && layer.N > options.MaxN)
        {
            return false;
        }
        return true;
    }

    /// <summary>Types one tensor and computes N, M and rf as the reference does.</summary>
    public static LayerInfo Describe(int id, string name, TensorInfo t)
    {
        var s = t.Shape;
        bool analyzable = DTypes.IsFloatingPoint(t.DType) && s.Length is 2 or 4 && s[0] >= 2 && s.All(d => d is > 0 and <= int.MaxValue);
        if (!analyzable)
        {
            return new LayerInfo(id, name, name, LayerType.Unknown, t, 0, 0, 1);
        }
        if (s.Length == 2)
        {
            int a = (int)s[0], b = (int)s[1];
            return new LayerInfo(id, name, name, LayerType.Dense, t, Math.Max(a, b), Math.Min(a, b), 1);
        }
        var (n, m, layout) = ConvDimensions((int)s[0], (int)s[1], (int)s[2], (int)s[3]);
        int rf = layout == ConvLayout.Last ? (int)(s[2] * s[3]) : (int)(s[0] * s[1]);
        return new LayerInfo(id, name, name, LayerType.Conv2D, t, n, m, rf, layout);
    }

    /// <summary>
    /// N and M of a Conv2D kernel. Layout: (out, in, kh, kw) when d0 + d1 >= d2 + d3, else (kh, kw, in, out).
    /// N starts as out and M as in, and the reference swaps them again each time it transposes a slice
    /// (slices are made short-and-wide for Keras, tall for PyTorch). With an odd slice count this yields
    /// N = max, M = min; with an even count and slices that need transposing it yields N &lt; M
    /// (quirk Q2, matched deliberately: e.g. 20x30x2x2 gives N = 20, M = 30).
    /// </summary>
    public static (int N, int M, ConvLayout Layout) ConvDimensions(int d0, int d1, int d2, int d3)
    {
        ConvLayout layout = d0 + d1 >= d2 + d3 ? ConvLayout.Last : ConvLayout.First;
        int outCh, inCh, slices;
        bool transposes;
        if (layout == ConvLayout.Last)
        {
            outCh = d0;
            inCh = d1;
            slices = d2 * d3;
            transposes = outCh < inCh; // slice W[:, :, i, j] is out x in, made tall
        }
        else
        {
            inCh = d2;
            outCh = d3;
            slices = d0 * d1;
            transposes = inCh > outCh; // slice W[i, j, :, :] is in x out, made short-and-wide
        }
        int n = outCh, m = inCh;
        if (transposes && slices % 2 == 1)
        {
            (n, m) = (m, n);
        }
        return (n, m, layout);
    }
}
