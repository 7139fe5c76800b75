namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>
/// Bounds on what a pickle may build, so that a hostile or broken file fails fast with a clear
/// <see cref="ModelFormatException"/> instead of hanging or exhausting memory.
/// </summary>
public static class PickleLimits
{
    /// <summary>Most values on the stack at once (torch batches dict items by 1000).</summary>
    public const int MaxStack = 100_000;

    /// <summary>Most open MARKs at once.</summary>
    public const int MaxMarks = 10_000;

    /// <summary>Most memo entries.</summary>
    public const int MaxMemo = 1_000_000;

    /// <summary>Deepest nesting of containers (a state dict is 2 to 4 deep).</summary>
    public const int MaxDepth = 1_000;

    /// <summary>Longest string or bytes object, in bytes.</summary>
    public const int MaxStringBytes = 16 << 20;

    /// <summary>Longest text line of a protocol-0 opcode, and most bytes of a LONG1/LONG4 integer.</summary>
    public const int MaxLineBytes = 4096;

    /// <summary>Most items in one container.</summary>
    public const int MaxContainerItems = 10_000_000;
}
