namespace WeightWatcher.Core.Formats.Keras;

/// <summary>
/// The boundary between PureHDF and the rest of the code: every call into the HDF5 library goes through
/// <see cref="Run{T}"/>, which turns whatever the library throws on a broken file (index out of range,
/// end of stream, invalid cast, overflow, allocation failure ...) into a <see cref="ModelFormatException"/>
/// naming the file, the object concerned and the reason.
/// </summary>
internal static class Hdf5Guard
{
    /// <summary>The 8-byte HDF5 format signature: 0x89 'H' 'D' 'F' '\r' '\n' 0x1a '\n'.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a];

    /// <summary>True when <paramref name="head"/> starts with the HDF5 signature.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> head) => head.Length >= 8 && head[..8].SequenceEqual(Signature);

    /// <summary>
    /// Runs one library call; a failure becomes a <see cref="ModelFormatException"/> for
    /// <paramref name="file"/> and <paramref name="objectPath"/> (null: the file as a whole) saying what
    /// was being done (<paramref name="what"/>).
    /// </summary>
    public static T Run<T>(string file, string? objectPath, string what, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (ModelFormatException)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            // A corrupt file makes the library fail in many ways (including OutOfMemoryException for a
            // length field that was flipped to a huge value): none of them is a bug of the caller.
            throw new ModelFormatException(file, objectPath, $"cannot {what}: {e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>Checks the signature at offset 0 and the file's existence and readability.</summary>
    public static void CheckSignature(string file)
    {
        Span<byte> head = stackalloc byte[8];
        int n = ModelPaths.ReadHead(file, head);
        if (!HasSignature(head[..n]))
        {
            throw new ModelFormatException(file, null, "not an HDF5 file (no HDF5 signature at offset 0)");
        }
    }
}
