namespace WeightWatcher.Plots;

/// <summary>One rendered figure in both formats.</summary>
/// <param name="Name">A short file-name stem, e.g. <c>esd</c>, <c>flow</c>, <c>regression.alpha</c>.</param>
/// <param name="Title">What the figure shows, for captions and image alt text.</param>
/// <param name="Png">PNG bytes.</param>
/// <param name="Svg">SVG document (UTF-8 text), or null when only the PNG was asked for.</param>
public sealed record FigureImage(string Name, string Title, byte[] Png, string? Svg)
{
    /// <summary>Writes <c>{prefix}{Name}.png</c> (and <c>.svg</c> when there is one) into <paramref name="directory"/>; returns the paths written.</summary>
    public IReadOnlyList<string> Save(string directory, string prefix = "")
    {
        Directory.CreateDirectory(directory);
        string png = Path.Combine(directory, $"{prefix}{Name}.png");
        File.WriteAllBytes(png, Png);
        if (Svg is null)
        {
            return [png];
        }
        string svg = Path.Combine(directory, $"{prefix}{Name}.svg");
        File.WriteAllText(svg, Svg);
        return [png, svg];
    }
}
