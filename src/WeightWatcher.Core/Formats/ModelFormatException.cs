namespace WeightWatcher.Core.Formats;

/// <summary>
/// A model file that cannot be read as claimed. The message always names the file, the tensor when
/// one is involved, and the reason, so that a user can find the problem from one line.
/// </summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelFormatException(string file, string? tensor, string reason, Exception? inner = null)
        : base(Format(file, tensor, reason), inner)
    {
        File = file;
        Tensor = tensor;
        Reason = reason;
    }

    /// <summary>The file (or directory) being read.</summary>
    public string File { get; }

    /// <summary>The tensor concerned, if any.</summary>
    public string? Tensor { get; }

    /// <summary>What is wrong.</summary>
    public string Reason { get; }

    private static string Format(string file, string? tensor, string reason) =>
        tensor is null ? $"{file}: {reason}" : $"{file}: tensor '{tensor}': {reason}";
}
