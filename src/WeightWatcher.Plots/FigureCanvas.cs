using ScottPlot;
using SkiaSharp;

namespace WeightWatcher.Plots;

/// <summary>
/// Shared look and rendering of every figure: one font (DejaVu Sans when installed, so text renders the
/// same on every Debian machine), one palette, fixed sizes, and PNG + SVG output of one plot or of a
/// grid of plots (SkiaSharp raster surface and SVG canvas, the same drawing calls for both).
/// </summary>
internal static class FigureCanvas
{
    public const int Width = 640;
    public const int Height = 480;
    private const string FontName = "DejaVu Sans";
    private static readonly string[] FontFiles = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf"];
    private static readonly Lock Gate = new();
    private static bool _fontRegistered;

    /// <summary>The series colours (Category10).</summary>
    public static readonly Color[] SeriesColors = new ScottPlot.Palettes.Category10().Colors;

    public static readonly Color Blue = Color.FromHex("#1f77b4");
    public static readonly Color Red = Color.FromHex("#d62728");
    public static readonly Color Orange = Color.FromHex("#ff7f0e");
    public static readonly Color Green = Color.FromHex("#2ca02c");

    /// <summary>A new plot with the shared font, a title and axis labels.</summary>
    public static Plot New(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        lock (Gate)
        {
            if (!_fontRegistered)
            {
                if (FontFiles.FirstOrDefault(File.Exists) is { } file)
                {
                    Fonts.AddFontFile(FontName, file);
                }
                _fontRegistered = true;
            }
        }
        plot.Font.Set(FontName);
        plot.Title(title, 13);
        plot.XLabel(xLabel, 13);
        plot.YLabel(yLabel, 13);
        return plot;
    }

    /// <summary>Renders one plot (PNG, and SVG when <paramref name="svg"/>).</summary>
    public static FigureImage Render(Plot plot, string name, string title, bool svg, int width = Width, int height = Height) =>
        RenderGrid([plot], 1, name, title, svg, width, height);

    /// <summary>Renders plots in a grid of <paramref name="columns"/> columns, each cell width x height.</summary>
    public static FigureImage RenderGrid(IReadOnlyList<Plot> plots, int columns, string name, string title, bool withSvg, int width = Width, int height = Height)
    {
        int rows = (plots.Count + columns - 1) / columns;
        int totalWidth = width * Math.Min(columns, plots.Count), totalHeight = height * rows;
        byte[] png;
        using (var surface = SKSurface.Create(new SKImageInfo(totalWidth, totalHeight, SKColorType.Rgba8888, SKAlphaType.Premul)))
        {
            Draw(surface.Canvas, plots, columns, width, height);
            using var image = surface.Snapshot();
            using var pixels = image.PeekPixels() ?? throw new InvalidOperationException("raster surface without pixels");
            // The Sub filter with light compression trades larger files for much faster encoding: figures
            // are drawn by the thousand in a zoo report (figures in the README's report section).
            using var data = pixels.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.Sub, 3)) ?? throw new InvalidOperationException("PNG encoding failed");
            png = data.ToArray();
        }
        string? svg = null;
        if (withSvg)
        {
            using var stream = new MemoryStream();
            using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, totalWidth, totalHeight), stream))
            {
                Draw(canvas, plots, columns, width, height);
            }
            svg = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        }
        foreach (var plot in plots)
        {
            plot.Dispose();
        }
        return new FigureImage(name, title, png, svg);
    }

    private static void Draw(SKCanvas canvas, IReadOnlyList<Plot> plots, int columns, int width, int height)
    {
        canvas.Clear(SKColors.White);
        for (int i = 0; i < plots.Count; i++)
        {
            float left = i % columns * width, top = i / columns * height;
            // ScottPlot clears the canvas before drawing: a clip keeps each panel to its own cell.
            canvas.Save();
            canvas.ClipRect(new SKRect(left, top, left + width, top + height));
            plots[i].Render(canvas, new PixelRect(left, left + width, top + height, top));
            canvas.Restore();
        }
    }

    /// <summary>
    /// Makes an axis that holds log10 values read as a log axis: each tick is labelled with the value
    /// it stands for (10^v), so a narrow range still gets readable labels.
    /// </summary>
    public static void LogAxis(IAxis axis)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => Math.Pow(10, v).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>A histogram as bars (each bin its own width), drawn from <paramref name="floor"/> upwards.</summary>
    public static void Bars(Plot plot, IReadOnlyList<double> edges, IReadOnlyList<double> heights, Color color, string? label, double floor = 0)
    {
        var bars = new List<Bar>();
        for (int i = 0; i < heights.Count; i++)
        {
            if (!double.IsFinite(heights[i]) || heights[i] <= floor)
            {
                continue;
            }
            bars.Add(new Bar
            {
                Position = (edges[i] + edges[i + 1]) / 2,
                Size = edges[i + 1] - edges[i],
                Value = heights[i],
                ValueBase = floor,
                FillColor = color,
                LineWidth = 0,
            });
        }
        var plotted = plot.Add.Bars(bars);
        if (label is not null)
        {
            plotted.LegendText = label;
        }
    }

    /// <summary>A labelled vertical line.</summary>
    public static void VLine(Plot plot, double x, Color color, string label, LinePattern? pattern = null)
    {
        if (!double.IsFinite(x))
        {
            return;
        }
        var line = plot.Add.VerticalLine(x, 2, color, pattern ?? LinePattern.Solid);
        line.LegendText = label;
    }

    /// <summary>A line through points, with a legend entry.</summary>
    public static void Line(Plot plot, double[] xs, double[] ys, Color color, string? label, float width = 2, LinePattern? pattern = null, float markerSize = 0)
    {
        if (xs.Length == 0)
        {
            return;
        }
        var line = plot.Add.Scatter(xs, ys, color);
        line.LineWidth = width;
        line.MarkerSize = markerSize;
        line.LinePattern = pattern ?? LinePattern.Solid;
        if (label is not null)
        {
            line.LegendText = label;
        }
    }

    /// <summary>Shows the legend in the upper right when some plottable has a legend text.</summary>
    public static void Legend(Plot plot, Alignment where = Alignment.UpperRight)
    {
        plot.ShowLegend(where);
    }

    /// <summary>A number for titles: three significant decimals as the reference prints them.</summary>
    public static string F3(double v) => v.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Three significant digits ({:0.3} in Python).</summary>
    public static string G3(double v) => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);
}
