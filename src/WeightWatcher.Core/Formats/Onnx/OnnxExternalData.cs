using System.Globalization;

namespace WeightWatcher.Core.Formats.Onnx;

/// <summary>
/// Resolves the <c>external_data</c> entries of an initializer stored outside the model file
/// (<c>data_location = EXTERNAL</c>): the <c>location</c> file, relative to the model's directory and
/// never outside it, and the byte range given by <c>offset</c> and <c>length</c>.
/// </summary>
internal static class OnnxExternalData
{
    /// <summary>The absolute file and byte range of an external initializer whose values take <paramref name="needed"/> bytes.</summary>
    /// <exception cref="ModelFormatException">The keys are missing or invalid, the file is missing or outside the model directory, or the range does not fit.</exception>
    public static (string File, long Offset) Resolve(string modelFile, OnnxInitializer init, long needed, FileRangeReader io)
    {
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in init.ExternalData)
        {
            switch (entry.Key)
            {
                case "location":
                    location = entry.Value;
                    break;
                case "offset":
                    offset = ParseNonNegative(modelFile, init, entry.Key, entry.Value);
                    break;
                case "length":
                    length = ParseNonNegative(modelFile, init, entry.Key, entry.Value);
                    break;
            }
        }
        if (location is null)
        {
            throw new ModelFormatException(modelFile, init.DisplayName, "data_location is EXTERNAL but external_data has no 'location' key");
        }
        string path = ResolvePath(modelFile, init, location);
        if (!File.Exists(path))
        {
            throw new ModelFormatException(modelFile, init.DisplayName, $"external data file '{location}' is missing");
        }
        if (length is { } l && l != needed)
        {
            throw new ModelFormatException(modelFile, init.DisplayName, $"external data length {l} does not match {OnnxDataTypes.Name(init.DataType)} dims ({string.Join(", ", init.Dims)}) ({needed} bytes expected)");
        }
        long fileLength = io.Length(path);
        if (offset > fileLength || needed > fileLength - offset)
        {
            throw new ModelFormatException(modelFile, init.DisplayName, $"external data range [{offset}, {offset + needed}) lies beyond the end of '{location}' ({fileLength} bytes)");
        }
        return (path, offset);
    }

    /// <summary>
    /// The full path of <paramref name="location"/>, which must name a file inside the model's directory:
    /// absolute paths, paths climbing out with <c>..</c> and symbolic links to files outside are refused.
    /// </summary>
    private static string ResolvePath(string modelFile, OnnxInitializer init, string location)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(modelFile)) ?? Path.GetFullPath(".");
        string root = Path.TrimEndingDirectorySeparator(dir) + Path.DirectorySeparatorChar;
        string shown = location.Replace("\0", "\\0", StringComparison.Ordinal);
        if (location.Length == 0 || location.Contains('\0', StringComparison.Ordinal))
        {
            throw new ModelFormatException(modelFile, init.DisplayName, $"external data location '{shown}' is not a valid file name");
        }
        if (Path.IsPathRooted(location))
        {
            throw new ModelFormatException(modelFile, init.DisplayName, $"external data location '{shown}' is an absolute path; it must be relative to the model directory");
        }
        string full;
        try
        {
            full = Path.GetFullPath(Path.Combine(root, location));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ModelFormatException(modelFile, init.DisplayName, $"external data location '{shown}' is not a valid file name", e);
        }
        if (!full.StartsWith(root, StringComparison.Ordinal) || full.Length == root.Length)
        {
            throw new ModelFormatException(modelFile, init.DisplayName, $"external data location '{shown}' points outside the model directory");
        }
        // A symbolic link inside the directory, the file itself or any folder on the way, must not lead out of it.
        if ((File.Exists(full) || Directory.Exists(full)) && !RealPaths.IsInside(full, dir))
        {
            throw new ModelFormatException(modelFile, init.DisplayName, $"external data location '{shown}' is reached through a symbolic link to a place outside the model directory");
        }
        return full;
    }

    private static long ParseNonNegative(string modelFile, OnnxInitializer init, string key, string value)
    {
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
        {
            throw new ModelFormatException(modelFile, init.DisplayName, $"external data '{key}' is '{value}', not a non-negative integer");
        }
        return v;
    }
}
