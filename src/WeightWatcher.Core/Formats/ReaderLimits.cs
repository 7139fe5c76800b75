namespace WeightWatcher.Core.Formats;

/// <summary>
/// Bounds that protect a node from hostile or broken files: a header or tensor larger than these is
/// refused with a clear error before any memory is allocated for it.
/// </summary>
public static class ReaderLimits
{
    /// <summary>Largest safetensors JSON header accepted (100 MB, the format's own limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Largest tensor, in elements, that is materialised as doubles (2^28 = 2 GiB of doubles).</summary>
    public const long MaxTensorElements = 1L << 28;

    /// <summary>Most dimensions a tensor may declare.</summary>
    public const int MaxRank = 16;

    /// <summary>Most tensors a model may declare.</summary>
    public const int MaxTensorCount = 1_000_000;
}
