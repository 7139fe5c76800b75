namespace WeightWatcher.Core.Layers;

/// <summary>Layer kinds as the reference tool types them. Only Dense, Conv1D, Conv2D and Embedding are analyzed.</summary>
public enum LayerType
{
    /// <summary>Not analyzable (rank other than 2 or 4, integer dtype, first dimension below 2).</summary>
    Unknown,
    /// <summary>A 2-D weight matrix (state-dict inputs type embeddings and heads as dense too).</summary>
    Dense,
    /// <summary>A 1-D convolution.</summary>
    Conv1D,
    /// <summary>A 4-D convolution kernel, cut into kh x kw slices.</summary>
    Conv2D,
    /// <summary>An embedding table.</summary>
    Embedding,
    /// <summary>A normalization layer (never analyzed).</summary>
    Norm,
    /// <summary>A flatten layer (never analyzed).</summary>
    Flattened,
}

/// <summary>The reference's names of layer types (<c>dense</c>, <c>conv2d</c>, ...).</summary>
public static class LayerTypes
{
    /// <summary>The lower-case name used in the <c>layer_type</c> column and in <c>layers=</c> filters.</summary>
    public static string Name(LayerType t) => t switch
    {
        LayerType.Dense => "dense",
        LayerType.Conv1D => "conv1d",
        LayerType.Conv2D => "conv2d",
        LayerType.Embedding => "embedding",
        LayerType.Norm => "norm",
        LayerType.Flattened => "flattened",
        _ => "unknown",
    };

    /// <summary>
    /// The reference's Keras typing (Keras files and TF.js layers models), by substring of the lower-cased
    /// class name in its order: dense, conv1d, conv2d (also Conv2DTranspose, DepthwiseConv2D), flatten,
    /// embedding; then normalization layers (LayerNormalization, BatchNormalization) as norm; else unknown.
    /// Norm and flatten layers are never analyzed, so the last two only affect how they are described.
    /// </summary>
    public static LayerType FromKerasClassName(string className)
    {
        string c = className.ToLowerInvariant();
        return c.Contains("dense", StringComparison.Ordinal) ? LayerType.Dense
            : c.Contains("conv1d", StringComparison.Ordinal) ? LayerType.Conv1D
            : c.Contains("conv2d", StringComparison.Ordinal) ? LayerType.Conv2D
            : c.Contains("flatten", StringComparison.Ordinal) ? LayerType.Flattened
            : c.Contains("embedding", StringComparison.Ordinal) ? LayerType.Embedding
            : c.Contains("normalization", StringComparison.Ordinal) ? LayerType.Norm
            : LayerType.Unknown;
    }

    /// <summary>Parses a type name as accepted by the <c>layers</c> filter, or null when it is not one.</summary>
    public static LayerType? TryParse(string s) => s.ToLowerInvariant() switch
    {
        "dense" => LayerType.Dense,
        "conv1d" => LayerType.Conv1D,
        "conv2d" => LayerType.Conv2D,
        "embedding" => LayerType.Embedding,
        "norm" => LayerType.Norm,
        _ => null,
    };
}
