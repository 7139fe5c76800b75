using SkiaSharp;

namespace WeightWatcher.Reports.Tests.Support;

/// <summary>Pixel checks of rendered figures: decoding, blankness and comparison with a stored expected picture.</summary>
public static class ImageCompare
{
    /// <summary>A channel difference above this counts as a differing pixel (anti-aliasing stays below).</summary>
    public const int ChannelTolerance = 48;

    /// <summary>Decodes a PNG.</summary>
    public static SKBitmap Decode(byte[] png) => SKBitmap.Decode(png) ?? throw new InvalidDataException("not a decodable image");

    /// <summary>The share of pixels that are not (near) white: how much of the canvas is drawn on.</summary>
    public static double InkShare(SKBitmap image)
    {
        long ink = 0;
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                var c = image.GetPixel(x, y);
                if (c.Red < 235 || c.Green < 235 || c.Blue < 235)
                {
                    ink++;
                }
            }
        }
        return (double)ink / (image.Width * image.Height);
    }

    /// <summary>Distinct colours (coarsely quantized): a figure with data has several besides black and white.</summary>
    public static int ColourCount(SKBitmap image) =>
        Enumerable.Range(0, image.Height).SelectMany(y => Enumerable.Range(0, image.Width).Select(x => image.GetPixel(x, y)))
            .Select(c => (c.Red / 32, c.Green / 32, c.Blue / 32)).Distinct().Count();

    /// <summary>The share of pixels whose largest channel difference exceeds <see cref="ChannelTolerance"/> (1 when sizes differ).</summary>
    public static double DifferingShare(SKBitmap a, SKBitmap b)
    {
        if (a.Width != b.Width || a.Height != b.Height)
        {
            return 1;
        }
        long differing = 0;
        for (int y = 0; y < a.Height; y++)
        {
            for (int x = 0; x < a.Width; x++)
            {
                var p = a.GetPixel(x, y);
                var q = b.GetPixel(x, y);
                int d = Math.Max(Math.Abs(p.Red - q.Red), Math.Max(Math.Abs(p.Green - q.Green), Math.Abs(p.Blue - q.Blue)));
                if (d > ChannelTolerance)
                {
                    differing++;
                }
            }
        }
        return (double)differing / (a.Width * a.Height);
    }
}
