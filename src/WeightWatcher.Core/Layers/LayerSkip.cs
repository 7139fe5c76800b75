namespace WeightWatcher.Core.Layers;

/// <summary>Why a layer with weights is not analyzed, grouped so that a model's skips can be counted by kind.</summary>
public enum SkipKind
{
    /// <summary>A layer without weights (input, activation, pooling): listed by frameworks, never reported as skipped.</summary>
    NoWeights,
    /// <summary>A 1-D weight: a bias, a normalization scale, a scalar.</summary>
    Vector,
    /// <summary>A tensor of a rank other than 2 or 4 (3-D Conv1D kernels, 5-D Conv3D kernels ...).</summary>
    UnsupportedRank,
    /// <summary>A layer class the reference does not analyze (recurrent, normalization, attention ...).</summary>
    LayerClass,
    /// <summary>Integer or boolean elements.</summary>
    IntegerDType,
    /// <summary>A quantized encoding that cannot be decoded.</summary>
    Undecodable,
    /// <summary>A state-dict tensor whose first dimension is below 2 (the reference's state-dict rule).</summary>
    FirstDimensionBelowTwo,
    /// <summary>A dimension of zero, or one too large to address.</summary>
    DegenerateShape,
    /// <summary>Left out by the <c>layers</c> filter.</summary>
    ExcludedByFilter,
    /// <summary>Fewer eigenvalues than <c>min_evals</c> (M·rf pooled, M per slice).</summary>
    BelowMinEvals,
    /// <summary>More eigenvalues than <c>max_evals</c>.</summary>
    AboveMaxEvals,
    /// <summary>N above <c>max_N</c>.</summary>
    AboveMaxN,
}

/// <summary>A skipped layer's reason: its kind (for counts) and a sentence for people.</summary>
/// <param name="Kind">The kind of reason.</param>
/// <param name="Detail">What exactly, e.g. <c>rank 3 (only 2-D and 4-D weights are analyzed)</c>.</param>
public sealed record LayerSkip(SkipKind Kind, string Detail)
{
    /// <summary>A short plural label of <paramref name="kind"/> for counts, e.g. <c>below min_evals</c>.</summary>
    public static string Label(SkipKind kind) => kind switch
    {
        SkipKind.NoWeights => "layers without weights",
        SkipKind.Vector => "1-D weights (biases, norm scales)",
        SkipKind.UnsupportedRank => "tensors of rank other than 2 and 4",
        SkipKind.LayerClass => "layers of classes not analyzed",
        SkipKind.IntegerDType => "integer tensors",
        SkipKind.Undecodable => "undecodable quantized tensors",
        SkipKind.FirstDimensionBelowTwo => "first dimension below 2",
        SkipKind.DegenerateShape => "degenerate shapes",
        SkipKind.ExcludedByFilter => "excluded by the layers filter",
        SkipKind.BelowMinEvals => "below min_evals",
        SkipKind.AboveMaxEvals => "above max_evals",
        SkipKind.AboveMaxN => "above max_N",
        _ => kind.ToString(),
    };

    /// <summary>The snake-case name of <paramref name="kind"/> used in JSON, e.g. <c>below_min_evals</c>.</summary>
    public static string Code(SkipKind kind) => kind switch
    {
        SkipKind.NoWeights => "no_weights",
        SkipKind.Vector => "vector",
        SkipKind.UnsupportedRank => "unsupported_rank",
        SkipKind.LayerClass => "layer_class",
        SkipKind.IntegerDType => "integer_dtype",
        SkipKind.Undecodable => "undecodable",
        SkipKind.FirstDimensionBelowTwo => "first_dimension_below_2",
        SkipKind.DegenerateShape => "degenerate_shape",
        SkipKind.ExcludedByFilter => "excluded_by_filter",
        SkipKind.BelowMinEvals => "below_min_evals",
        SkipKind.AboveMaxEvals => "above_max_evals",
        SkipKind.AboveMaxN => "above_max_n",
        _ => kind.ToString(),
    };
}

/// <summary>A layer with weights that is not analyzed, and why.</summary>
/// <param name="Layer">The layer as enumerated (its type may be <see cref="LayerType.Unknown"/>).</param>
/// <param name="Reason">Why it is skipped.</param>
public sealed record SkippedLayer(LayerInfo Layer, LayerSkip Reason)
{
    /// <summary>
    /// Counts by reason, largest first, e.g. <c>12 1-D weights (biases, norm scales), 2 below min_evals</c>;
    /// empty when nothing was skipped.
    /// </summary>
    public static string CountsByReason(IEnumerable<SkippedLayer> skipped) => string.Join(", ", skipped
        .GroupBy(s => s.Reason.Kind)
        .OrderByDescending(g => g.Count())
        .ThenBy(g => g.Key)
        .Select(g => $"{g.Count()} {LayerSkip.Label(g.Key)}"));

    /// <summary>
    /// Why a model with <paramref name="tensorCount"/> tensors yields no layer to analyze, given its
    /// <paramref name="skipped"/> layers, e.g. <c>all 3 layers with weights were skipped (3 below min_evals)</c>.
    /// </summary>
    public static string WhyNothingToAnalyze(int tensorCount, IReadOnlyList<SkippedLayer> skipped) =>
        tensorCount == 0 ? "the model holds no tensors"
        : skipped.Count == 0 ? $"none of its {tensorCount} tensors is a layer weight"
        : $"all {skipped.Count} layers with weights were skipped ({CountsByReason(skipped)})";
}
