using System.Text.Json;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Metrics;
using WeightWatcher.Plots;
using WeightWatcher.Reports.Zoo;

namespace WeightWatcher.Reports.Html;

/// <summary>
/// <c>ww analyze MODEL --report DIR</c>: the zoo report's model page (with its layer pages and figures,
/// PNG and SVG) for one analysis, without a cluster, plus an index and the analysis record.
/// </summary>
public static class ModelReport
{
    /// <summary>The site's files (paths relative to its root).</summary>
    public static IReadOnlyList<ReportFile> Build(AnalysisResult result, string modelName)
    {
        ArgumentNullException.ThrowIfNull(result);
        var columns = LayerTable.AnalyzeColumns(result.Options);
        var rows = result.Rows.Select(r => (IReadOnlyDictionary<string, object?>)columns.ToDictionary(c => c, c => LayerTable.Value(r, c), StringComparer.Ordinal)).ToList();
        var firstRows = result.Rows.GroupBy(r => r.Layer.LayerId).Select(g => g.First()).ToList();
        var keys = firstRows.ToDictionary(r => r.Layer.LayerId, r => $"layer{r.Layer.LayerId}");
        var drawn = FigureWorkers.Run(firstRows.Select(r => (Func<(string Key, IReadOnlyList<ReportFile> Files, IReadOnlyList<string> Views)>)(() =>
        {
            var (files, views) = LayerFigures.Render(keys[r.Layer.LayerId], EsdFigureInput.From(r), svg: true);
            return (keys[r.Layer.LayerId], files, views);
        })).ToList());
        var failures = result.Failures.Select(f => new SiteFailure(modelName, $"{f.Layer.LayerId} {f.Layer.Name}", f.Reason)).ToList();
        var model = new SiteModel(modelName, null, null, "", rows, ModelAggregate.From(rows, result.Failures.Count), keys)
        {
            Skipped = (result.Skipped.Count, SkippedLayer.CountsByReason(result.Skipped)),
        };
        var input = new SiteInput($"Model {modelName}", modelName, [model], [], failures,
        [
            ("Analysis",
            [
                ("model", result.ModelPath),
                ("options", JsonSerializer.Serialize(result.Options)),
                ("rows", $"{result.Rows.Count}"),
                ("failures", $"{result.Failures.Count}"),
                ("skipped layers", $"{result.Skipped.Count}"),
                ("seconds", result.Timings.Wall.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)),
            ]),
        ])
        {
            LayerFiguresPath = "figures/layers",
            LayerFigureSvg = true,
            LayerFigureViews = drawn.ToDictionary(d => d.Key, d => d.Views, StringComparer.Ordinal),
        };
        return [.. ReportSite.Build(input), .. drawn.SelectMany(d => d.Files).Select(f => new ReportFile("figures/layers/" + f.Name, f.Content))];
    }

    /// <summary>Writes <paramref name="files"/> under <paramref name="directory"/>; returns how many.</summary>
    public static int WriteTo(string directory, IReadOnlyList<ReportFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var f in files)
        {
            string path = Path.Combine(directory, f.Name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, f.Content);
        }
        return files.Count;
    }
}
