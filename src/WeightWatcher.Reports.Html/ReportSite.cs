using WeightWatcher.Core.Metrics;
using WeightWatcher.Plots;
using WeightWatcher.Reports.Zoo;
using static WeightWatcher.Reports.Html.HtmlPage;

namespace WeightWatcher.Reports.Html;

/// <summary>
/// Builds the report site: <c>index.html</c> (changes since the previous run, the sortable model table,
/// series, links to failures and the manifest), a page per model (summary, history, correlation flow,
/// warnings, layer table, ESD thumbnails opening a page per layer with the full views), a page per
/// series (regression table and figures), <c>failures.html</c> and <c>manifest.html</c>, with the model
/// and series figures. Pure: it returns files (paths relative to the site root) for the caller to store.
/// Layer figures are drawn apart (<see cref="LayerFigures"/>) because the zoo keeps them across runs.
/// </summary>
public static class ReportSite
{
    /// <summary>Every page and model/series figure of the site.</summary>
    public static IReadOnlyList<ReportFile> Build(SiteInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var slugs = Slugs(input.Models.Select(m => m.Model));
        var seriesSlugs = Slugs(input.Series.Select(s => s.Series).Distinct(StringComparer.Ordinal));
        var files = new List<ReportFile> { new("index.html", IndexPage.Render(input, slugs, seriesSlugs, "")) };
        var figures = new List<Func<IEnumerable<ReportFile>>>();
        foreach (var model in input.Models)
        {
            string slug = slugs[model.Model];
            files.Add(new($"models/{slug}.html", ModelPage.Render(input, model, slug)));
            foreach (var row in model.Rows.GroupBy(r => (int)ModelSummary.RowNumber(r, "layer_id")).Select(g => g.First()))
            {
                int id = (int)ModelSummary.RowNumber(row, "layer_id");
                if (model.FigureKeys.TryGetValue(id, out var key) && input.LayerFigureViews.TryGetValue(key, out var views))
                {
                    files.Add(new($"models/{slug}/layer-{id}.html", ModelPage.RenderLayer(input, model, slug, row, key, views)));
                }
            }
            if (model.Rows.Count > 0)
            {
                figures.Add(() => Figure($"figures/models/{slug}.", ModelFigures.CorrelationFlow(ModelFlow.FromRows(model.Model, model.Rows))));
            }
        }
        foreach (var group in input.Series.GroupBy(s => s.Series, StringComparer.Ordinal))
        {
            string slug = seriesSlugs[group.Key];
            var members = input.Models.Where(m => m.Series == group.Key).ToList();
            files.Add(new($"series/{slug}.html", SeriesPage.Render(input, group.Key, group.ToList(), members, slugs)));
            var flows = members.Where(m => m.Rows.Count > 0).Select(m => ModelFlow.FromRows(m.Model, m.Rows)).ToList();
            figures.Add(() => Figure($"figures/series/{slug}.", ModelFigures.AlphaHistograms(group.Key, flows)));
            figures.Add(() => Figure($"figures/series/{slug}.", ModelFigures.SeriesFlows(group.Key, flows)));
            foreach (var row in group)
            {
                var points = SeriesPage.Points(members, row.Metric);
                figures.Add(() => Figure($"figures/series/{slug}.", ModelFigures.Regression(group.Key, row.Metric, points, row.Fit)));
            }
        }
        files.Add(new("failures.html", FailuresPage(input, slugs)));
        files.Add(new("manifest.html", ManifestPage(input)));
        // Figures are drawn in parallel: each is independent, and drawing is most of the report's time.
        files.AddRange(FigureWorkers.Run(figures.Select(f => (Func<List<ReportFile>>)(() => f().ToList())).ToList()).SelectMany(d => d));
        return files;
    }

    /// <summary>
    /// The index page again with every link going through <paramref name="sitePath"/> (e.g.
    /// <c>../runs/JOB/report/</c>): the zoo's <c>report/index.html</c>, written last, so the switch to a
    /// new run's site is one atomic write.
    /// </summary>
    public static byte[] EntryPage(SiteInput input, string sitePath)
    {
        ArgumentNullException.ThrowIfNull(input);
        return IndexPage.Render(input, Slugs(input.Models.Select(m => m.Model)), Slugs(input.Series.Select(s => s.Series).Distinct(StringComparer.Ordinal)), sitePath);
    }

    /// <summary>File-name-safe, unique names: characters other than letters, digits, '.', '-' and '_' become '_'; clashes get -2, -3 ...</summary>
    public static IReadOnlyDictionary<string, string> Slugs(IEnumerable<string> names)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            string slug = new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')]);
            slug = slug.Trim('.');
            if (slug.Length == 0)
            {
                slug = "_";
            }
            string unique = slug;
            for (int i = 2; !used.Add(unique); i++)
            {
                unique = $"{slug}-{i}";
            }
            map[name] = unique;
        }
        return map;
    }

    private static IEnumerable<ReportFile> Figure(string prefix, FigureImage figure) =>
    [
        new($"{prefix}{figure.Name}.png", figure.Png),
        new($"{prefix}{figure.Name}.svg", System.Text.Encoding.UTF8.GetBytes(figure.Svg!)),
    ];

    private static byte[] FailuresPage(SiteInput input, IReadOnlyDictionary<string, string> slugs)
    {
        var page = new HtmlPage($"Failures — {input.Title}", "", "report");
        page.Paragraph(input.Failures.Count == 0 ? "Nothing failed." : $"{input.Failures.Count} failure(s): each model or layer that is not in the tables, and why.");
        if (input.Failures.Count > 0)
        {
            page.Table(["model", "layer", "reason"], input.Failures.Select(f => (IReadOnlyList<Cell>)
            [
                slugs.TryGetValue(f.Model, out var slug) ? Cell.Markup(Link($"models/{slug}.html", f.Model), f.Model) : Cell.Of(f.Model),
                Cell.Of(f.Layer ?? "(whole model)"),
                new Cell(Text(f.Reason), null, "bad"),
            ]), "failures");
        }
        return page.ToBytes();
    }

    private static byte[] ManifestPage(SiteInput input)
    {
        var page = new HtmlPage($"Manifest — {input.Title}", "", "report");
        page.Paragraph("The run's record (manifest.json) in readable form: inputs with their hashes, options, engine, timings and nodes.");
        foreach (var (section, rows) in input.Manifest)
        {
            page.Heading(section);
            page.Raw("<dl>" + string.Concat(rows.Select(r => $"<dt>{Text(r.Label)}</dt><dd><code>{Text(r.Value)}</code></dd>")) + "</dl>");
        }
        return page.ToBytes();
    }
}
