using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Layers;

/// <summary>
/// Turns a model's tensor headers into the layers the reference would analyze. State-dict-like inputs
/// (safetensors, numpy, PyTorch, GGUF, TF.js graph models): ids from 1 counting every <c>.weight</c> key,
/// typing by rank, a first dimension below 2 skipped, Conv2D kernels expected as (out, in, kh, kw).
/// Readers of other conventions declare their layers (<see cref="IModelReader.DeclaredLayers"/>): typed by
/// the framework, with the framework's expected Conv2D layout. Then, for all: the <c>layers</c> filter,
/// <c>min_evals</c>, <c>max_evals</c> and <c>max_N</c>.
/// </summary>
public static class LayerEnumerator
{
    private const string WeightSuffix = ".weight";
    private static readonly LayerSkip NoWeights = new(SkipKind.NoWeights, "the layer has no weights");

    /// <summary>Every weight-like layer of <paramref name="model"/> with its id and type, supported or not.</summary>
    public static IReadOnlyList<LayerInfo> EnumerateAll(IModelReader model) =>
        model.DeclaredLayers is { } declared ? declared.Select(Describe).ToList() : EnumerateAll(model.Tensors);

    /// <summary>The layers (or conv slices, when <c>pool=false</c>) of <paramref name="model"/> that pass every filter.</summary>
    public static IReadOnlyList<LayerInfo> EnumerateSupported(IModelReader model, AnalysisOptions options) =>
        Supported(EnumerateAll(model), options);

    /// <summary>
    /// Every layer of <paramref name="model"/> that has weights but is not analyzed under
    /// <paramref name="options"/>, with the reason (weightless layers such as activations are not listed).
    /// </summary>
    public static IReadOnlyList<SkippedLayer> EnumerateSkipped(IModelReader model, AnalysisOptions options) =>
        Skipped(EnumerateAll(model), options);

    /// <summary>
    /// Types a declared layer and computes N, M and rf from its weight's shape and the framework's expected
    /// Conv2D layout. The type comes from the framework (class or rank), so no state-dict rule applies: a
    /// (1, 1, in, out) Keras Conv2D kernel is a Conv2D with rf = 1.
    /// </summary>
    public static LayerInfo Describe(LayerCandidate c)
    {
        if (c.Weight is not { } t)
        {
            // Weightless layers are never analyzed; Flatten and norm layers keep their type for display.
            var type = c.Type is LayerType.Norm or LayerType.Flattened ? c.Type : LayerType.Unknown;
            return new LayerInfo(c.LayerId, c.Name, c.LongName, type, new TensorInfo(c.Name, DType.F32, [], "", 0, 0), 0, 0, 1, Skip: NoWeights);
        }
        LayerSkip? skip = c.Type switch
        {
            LayerType.Unknown or LayerType.Norm or LayerType.Flattened when c.ClassName is { } cls =>
                new LayerSkip(SkipKind.LayerClass, $"layer class {cls} is not analyzed"),
            LayerType.Norm or LayerType.Flattened => new LayerSkip(SkipKind.LayerClass, $"{LayerTypes.Name(c.Type)} layers are not analyzed"),
            _ => null,
        };
        skip ??= ElementSkip(t) ?? RankSkip(t, c.Type == LayerType.Conv2D ? 4 : c.Type == LayerType.Unknown ? null : 2) ?? ShapeSkip(t);
        if (skip is not null)
        {
            return Unsupported(c.LayerId, c.Name, c.LongName, t, skip, c.Type is LayerType.Norm or LayerType.Flattened ? c.Type : LayerType.Unknown);
        }
        return c.Type == LayerType.Conv2D
            ? Conv(c.LayerId, c.Name, c.LongName, t, c.ExpectedLayout)
            : Matrix(c.LayerId, c.Name, c.LongName, c.Type, t);
    }

    /// <summary>Every weight-like tensor with its id and type, supported or not (state-dict rules).</summary>
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

    private static IReadOnlyList<SkippedLayer> Skipped(IReadOnlyList<LayerInfo> all, AnalysisOptions options)
    {
        var selection = new LayerSelection(options.Layers);
        var result = new List<SkippedLayer>();
        foreach (var layer in all)
        {
            if (layer.Skip?.Kind == SkipKind.NoWeights)
            {
                continue; // an activation, pooling or input layer: nothing was left out
            }
            if (WhyNotSupported(layer, options, selection) is { } reason)
            {
                result.Add(new SkippedLayer(layer, reason));
            }
        }
        return result;
    }

    /// <summary>The reference's <c>layer_supported</c> checks, in its order.</summary>
    public static bool IsSupported(LayerInfo layer, AnalysisOptions options, LayerSelection selection) =>
        WhyNotSupported(layer, options, selection) is null;

    /// <summary>Why <paramref name="layer"/> fails the reference's <c>layer_supported</c> checks (in its order), or null when it passes.</summary>
    public static LayerSkip? WhyNotSupported(LayerInfo layer, AnalysisOptions options, LayerSelection selection)
    {
        if (selection.IsFilteredOut(layer.LayerId, layer.Name, layer.Type))
        {
            return new LayerSkip(SkipKind.ExcludedByFilter, "left out by the layers filter");
        }
        if (layer.Type is LayerType.Unknown or LayerType.Norm or LayerType.Flattened)
        {
            return layer.Skip ?? new LayerSkip(SkipKind.LayerClass, $"{LayerTypes.Name(layer.Type)} layers are not analyzed");
        }
        // The reference compares M·rf pooled and M per slice, whatever the true eigenvalue count.
        long evals = options.Pool ? layer.NumComponents : layer.M;
        string what = options.Pool ? $"M·rf = {layer.M}·{layer.Rf} = {evals}" : $"M = {evals}";
        if (options.MinEvals != 0 && evals < options.MinEvals)
        {
            return new LayerSkip(SkipKind.BelowMinEvals, $"{what} < min_evals {options.MinEvals}");
        }
        if (options.MaxEvals != 0 && evals > options.MaxEvals)
        {
            return new LayerSkip(SkipKind.AboveMaxEvals, $"{what} > max_evals {options.MaxEvals}");
        }
        if (options.MaxN != 0 && layer.N > options.MaxN)
        {
            return new LayerSkip(SkipKind.AboveMaxN, $"N = {layer.N} > max_N {options.MaxN}");
        }
        return null;
    }

    /// <summary>Types one state-dict tensor and computes N, M and rf as the reference does for state dicts.</summary>
    public static LayerInfo Describe(int id, string name, TensorInfo t)
    {
        var skip = ElementSkip(t) ?? RankSkip(t, null) ?? ShapeSkip(t);
        if (skip is null && t.Shape[0] < 2)
        {
            // The reference's state-dict typing: len(weights) < 2 leaves the type unknown.
            skip = new LayerSkip(SkipKind.FirstDimensionBelowTwo, $"first dimension {t.Shape[0]} (state-dict tensors need at least 2 rows)");
        }
        if (skip is not null)
        {
            return Unsupported(id, name, name, t, skip, LayerType.Unknown);
        }
        return t.Shape.Length == 2
            ? Matrix(id, name, name, LayerType.Dense, t)
            : Conv(id, name, name, t, ConvLayout.Last);
    }

    private static LayerInfo Unsupported(int id, string name, string longName, TensorInfo t, LayerSkip skip, LayerType type) =>
        new(id, name, longName, type, t, 0, 0, 1, Skip: skip);

    private static LayerInfo Matrix(int id, string name, string longName, LayerType type, TensorInfo t)
    {
        int a = (int)t.Shape[0], b = (int)t.Shape[1];
        return new LayerInfo(id, name, longName, type, t, Math.Max(a, b), Math.Min(a, b), 1);
    }

    private static LayerInfo Conv(int id, string name, string longName, TensorInfo t, ConvLayout expected)
    {
        var s = t.Shape;
        var d = ConvDimensions((int)s[0], (int)s[1], (int)s[2], (int)s[3], expected);
        return new LayerInfo(id, name, longName, LayerType.Conv2D, t, d.N, d.M, d.Rf, expected, SliceEvals: d.SliceEvals);
    }

    private static LayerSkip? ElementSkip(TensorInfo t) =>
        t.Unreadable is { } why ? new LayerSkip(SkipKind.Undecodable, why)
        : DTypes.IsFloatingPoint(t.DType) ? null
        : new LayerSkip(SkipKind.IntegerDType, $"{DTypes.DisplayName(t.DType)} elements (only floating-point weights are analyzed)");

    /// <summary>Rank check: <paramref name="required"/> is the rank the type needs, or null for "2 or 4".</summary>
    private static LayerSkip? RankSkip(TensorInfo t, int? required)
    {
        int rank = t.Shape.Length;
        if (required is { } r ? rank == r : rank is 2 or 4)
        {
            return null;
        }
        if (rank <= 1)
        {
            return new LayerSkip(SkipKind.Vector, rank == 0 ? "a scalar" : $"1-D weight of length {t.Shape[0]}");
        }
        string need = required is { } n ? $"{n}-D" : "2-D and 4-D";
        return new LayerSkip(SkipKind.UnsupportedRank, $"rank {rank} {t.ShapeText} (only {need} weights are analyzed here)");
    }

    private static LayerSkip? ShapeSkip(TensorInfo t)
    {
        if (t.Shape.Any(d => d is <= 0 or > int.MaxValue))
        {
            return new LayerSkip(SkipKind.DegenerateShape, $"shape {t.ShapeText} has an empty or oversized dimension");
        }
        if (t.Shape.Length == 4 && (t.Shape[0] * t.Shape[1] > int.MaxValue || t.Shape[2] * t.Shape[3] > int.MaxValue))
        {
            return new LayerSkip(SkipKind.DegenerateShape, $"shape {t.ShapeText} has more slices than can be addressed");
        }
        return null;
    }

    /// <summary>
    /// N, M, rf and the eigenvalues per slice of a Conv2D kernel (d0, d1, d2, d3), as the reference's
    /// <c>conv2D_Wmats</c> computes them. The framework's <paramref name="expected"/> layout decides the
    /// slicing: Last takes the d2·d3 slices <c>W[:, :, i, j]</c> (d0 x d1), First the d0·d1 slices
    /// <c>W[i, j, :, :]</c> (d2 x d3). The shape test (d0 + d1 ≥ d2 + d3 means Last) only chooses N and M:
    /// <list type="bullet">
    /// <item>detection agrees: N starts as out and M as in, and the reference swaps them each time it
    /// transposes a slice (slices are made tall for Last, short-and-wide for First). An odd slice count
    /// yields N = max, M = min; an even count with slices that need transposing yields N &lt; M (quirk Q2,
    /// e.g. a 20x30x2x2 state-dict conv gives N = 20, M = 30).</item>
    /// <item>detected First but expected Last (a state-dict tensor with d0 + d1 &lt; d2 + d3): N = d0, M = d1.</item>
    /// <item>detected Last but expected First (a Keras kernel with kh + kw ≥ in + out): N = d2, M = d3.</item>
    /// </list>
    /// </summary>
    public static (int N, int M, int Rf, int SliceEvals) ConvDimensions(int d0, int d1, int d2, int d3, ConvLayout expected)
    {
        var detected = d0 + d1 >= d2 + d3 ? ConvLayout.Last : ConvLayout.First;
        if (expected == ConvLayout.Last)
        {
            int rf = d2 * d3, perSlice = Math.Min(d0, d1);
            if (detected != expected)
            {
                return (d0, d1, rf, perSlice);
            }
            // Slice W[:, :, i, j] is out x in (d0 x d1), transposed when out < in.
            bool swapped = d0 < d1 && rf % 2 == 1;
            return swapped ? (d1, d0, rf, perSlice) : (d0, d1, rf, perSlice);
        }
        else
        {
            int rf = d0 * d1, perSlice = Math.Min(d2, d3);
            if (detected != expected)
            {
                return (d2, d3, rf, perSlice);
            }
            // Slice W[i, j, :, :] is in x out (d2 x d3), transposed when out < in; N starts as out.
            bool swapped = d3 < d2 && rf % 2 == 1;
            return swapped ? (d2, d3, rf, perSlice) : (d3, d2, rf, perSlice);
        }
    }
}
