using WeightWatcher.Core.Analysis;
using WeightWatcher.Plots;

namespace WeightWatcher.Cli.Commands;

/// <summary>Figures of <c>ww analyze --plot</c> and <c>ww esd --plot</c> written to files.</summary>
internal static class FigureOutput
{
    /// <summary>Every layer's ESD views (named as the reference saves them, <c>ww.layer&lt;id&gt;.&lt;view&gt;</c>) and the correlation flow; returns the files written.</summary>
    public static int WriteAnalysisFigures(string directory, AnalysisResult result, string modelName)
    {
        var layers = result.Rows.GroupBy(r => r.Layer.LayerId).Select(g => g.First()).ToList();
        var written = WeightWatcher.Reports.Html.FigureWorkers.Run(layers.Select(r => (Func<int>)(() =>
            EsdFigures.All(EsdFigureInput.From(r)).Sum(f => f.Save(directory, $"ww.layer{r.Layer.LayerId}.").Count))).ToList());
        int count = written.Sum();
        if (result.Rows.Count > 0)
        {
            count += ModelFigures.CorrelationFlow(ModelFlow.From(modelName, result.Rows)).Save(directory).Count;
        }
        return count;
    }

    /// <summary>One layer's views: the log-log ESD at <paramref name="file"/> (.png or .svg), the others beside it.</summary>
    public static IReadOnlyList<string> WriteEsdFigures(string file, EsdResult esd)
    {
        string ext = Path.GetExtension(file).ToLowerInvariant();
        if (ext is not (".png" or ".svg"))
        {
            throw new ArgumentException($"--plot {file}: the file must end in .png or .svg");
        }
        var input = esd.Row is { } row ? EsdFigureInput.From(row) : new EsdFigureInput(esd.Layer.LayerId, esd.Layer.Name, esd.Evals, esd.Tail.Fit) { Q = esd.Layer.Q };
        string directory = Path.GetDirectoryName(Path.GetFullPath(file))!;
        string stem = Path.GetFileNameWithoutExtension(file);
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        foreach (var figure in EsdFigures.All(input, svg: ext == ".svg"))
        {
            string path = figure.Name == "esd" ? Path.GetFullPath(file) : Path.Combine(directory, $"{stem}.{figure.Name}{ext}");
            if (ext == ".png")
            {
                File.WriteAllBytes(path, figure.Png);
            }
            else
            {
                File.WriteAllText(path, figure.Svg);
            }
            paths.Add(path);
        }
        return paths;
    }
}
