using WeightWatcher.Plots;
using WeightWatcher.Reports.Zoo;

namespace WeightWatcher.Reports.Html;

/// <summary>A layer's ESD figures as site files: <c>{key}/{view}.png</c> (and <c>.svg</c> when asked).</summary>
public static class LayerFigures
{
    /// <summary>Draws every figure of one layer (<see cref="EsdFigures.All"/>) under the folder <paramref name="key"/>.</summary>
    public static (IReadOnlyList<ReportFile> Files, IReadOnlyList<string> Views) Render(string key, EsdFigureInput layer, bool svg)
    {
        var figures = EsdFigures.All(layer, svg);
        var files = new List<ReportFile>();
        foreach (var f in figures)
        {
            files.Add(new($"{key}/{f.Name}.png", f.Png));
            if (svg)
            {
                files.Add(new($"{key}/{f.Name}.svg", System.Text.Encoding.UTF8.GetBytes(f.Svg!)));
            }
        }
        return (files, figures.Select(f => f.Name).ToList());
    }

    /// <summary>The views present in a listing of figure paths (<c>{key}/{view}.png</c>), by key.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ViewsFromListing(IEnumerable<string> relativePaths)
    {
        var order = new List<string>([.. EsdFigures.Views, "mpfit", "randesd", "randesd2"]);
        return relativePaths
            .Where(p => p.EndsWith(".png", StringComparison.Ordinal) && p.Count(c => c == '/') == 1)
            .Select(p => (Key: p[..p.IndexOf('/')], View: p[(p.IndexOf('/') + 1)..^4]))
            .GroupBy(p => p.Key, StringComparer.Ordinal)
            .Where(g => g.Any(p => p.View == "esd"))
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(p => p.View).OrderBy(v => order.IndexOf(v) is int i && i >= 0 ? i : order.Count).ToList(), StringComparer.Ordinal);
    }
}
