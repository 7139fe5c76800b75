namespace WeightWatcher.Plots;

/// <summary>One rendered figure in both formats.</summary>
/// <param name="Name">A short file-name stem, e.g. <c>esd</c>, <c>flow</c>, <c>regression.alpha</c>.</param>
/// <param name="Title">What the figure shows, for captions and image alt text.</param>
/// <param name="Png">PNG bytes.</param>
/// <param name="Svg">SVG document (UTF-8 text).</param>
public sealed record FigureImage(string Name, string Title, byte[] Png, string Svg)
{
    /// <summary>Writes <c>{prefix}{Name}.png</c> and <c>.svg</c> into <paramref name="directory"/> and returns their paths.</summary>
    public (string Png, string Svg) Save(string directory, string prefix = "")
    {
        Directory.CreateDirectory(directory);
        string png = Path.Combine(directory, $"{prefix}{Name}.png");
        string svg = Path.Combine(directory, $"{prefix}{Name}.svg");
        File.WriteAllBytes(png, Png);
        File.WriteAllText(svg, Svg);
        return (png, svg);
    }
}
