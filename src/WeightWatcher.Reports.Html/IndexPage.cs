using WeightWatcher.Core.Metrics;
using static WeightWatcher.Reports.Html.HtmlPage;

namespace WeightWatcher.Reports.Html;

/// <summary>The site's first page: changes since the previous run, the model table, series, failures and manifest links.</summary>
internal static class IndexPage
{
    public static byte[] Render(SiteInput input, IReadOnlyDictionary<string, string> slugs, IReadOnlyDictionary<string, string> seriesSlugs, string root)
    {
        var page = new HtmlPage(input.Title, root, null);
        page.Paragraph($"Job {input.JobId}: {input.Models.Count} model(s), {input.Failures.Count} failure(s).");
        if (input.Changes is { } changes)
        {
            Changes(page, changes, slugs, root);
        }
        page.Heading("Models", "models");
        var metrics = ModelSummary.MetricNames.Where(n => input.Models.Any(m => m.Aggregate.Summary[n] is not null)).ToList();
        string[] headers = ["model", "series", "top1_acc", "layers", "failed_layers", "skipped_layers", .. metrics, "median_alpha", "share_alpha_lt_2", "share_alpha_gt_6", "since previous run"];
        page.Table(headers, input.Models.Select(m => (IReadOnlyList<Cell>)
        [
            Cell.Markup(Link($"{root}models/{slugs[m.Model]}.html", m.Model), m.Model),
            Cell.Of(m.Series),
            Number(m.Accuracy),
            Number(m.Aggregate.Layers, 0),
            Number(m.Aggregate.FailedLayers, 0) with { CssClass = m.Aggregate.FailedLayers > 0 ? "num bad" : "num" },
            Number(m.Skipped.Count, 0),
            .. metrics.Select(n => Number(m.Aggregate.Summary[n])),
            Number(m.Aggregate.MedianAlpha),
            Number(m.Aggregate.ShareAlphaBelow2) with { CssClass = m.Aggregate.ShareAlphaBelow2 > 0 ? "num warn" : "num" },
            Number(m.Aggregate.ShareAlphaAbove6) with { CssClass = m.Aggregate.ShareAlphaAbove6 > 0 ? "num warn" : "num" },
            Cell.Of(Status(input.Changes, m.Model)),
        ]), "model-table");
        page.Heading("Series", "series");
        var series = input.Series.Select(s => s.Series).Distinct(StringComparer.Ordinal).ToList();
        page.Raw(series.Count == 0
            ? "<p>No series with at least three models that have an accuracy (see the catalog).</p>"
            : "<ul>" + string.Concat(series.Select(s => $"<li>{Link($"{root}series/{seriesSlugs[s]}.html", s)} ({input.Models.Count(m => m.Series == s)} models)</li>")) + "</ul>");
        page.Heading("Run", "run");
        page.Raw($"<ul><li>{Link($"{root}failures.html", $"Failures ({input.Failures.Count})")}</li><li>{Link($"{root}manifest.html", "Manifest")}</li></ul>");
        return page.ToBytes();
    }

    private static string Status(WeightWatcher.Reports.History.ChangeReport? changes, string model) =>
        changes is null ? "" : changes.New.Contains(model) ? "new" : changes.Retrained.Contains(model) ? "retrained" : changes.Unchanged.Contains(model) ? "unchanged" : "";

    private static void Changes(HtmlPage page, WeightWatcher.Reports.History.ChangeReport changes, IReadOnlyDictionary<string, string> slugs, string root)
    {
        page.Heading("Since the previous run", "changes");
        string ModelLink(string m) => slugs.TryGetValue(m, out var s) ? Link($"{root}models/{s}.html", m) : Text(m);
        string List(IReadOnlyList<string> models) => models.Count == 0 ? "none" : string.Join(", ", models.Select(ModelLink));
        var html = new System.Text.StringBuilder("<div class=\"changes\">");
        html.Append(changes.PreviousJobId is null
            ? "<p>First run in this results folder: nothing to compare with.</p>"
            : $"<p>Compared with run <code>{Text(changes.PreviousJobId)}</code>.</p>");
        html.Append("<ul>")
            .Append($"<li id=\"new\">New: {List(changes.New)}</li>")
            .Append($"<li id=\"removed\">Removed: {(changes.Removed.Count == 0 ? "none" : Text(string.Join(", ", changes.Removed)))}</li>")
            .Append($"<li id=\"retrained\">Retrained (content changed): {List(changes.Retrained)}</li>")
            .Append($"<li>Unchanged (results from the cache): {changes.Unchanged.Count}</li>")
            .Append("</ul></div>");
        page.Raw(html.ToString());
        page.Raw(changes.Alerts.Count == 0
            ? "<p id=\"alerts\">No alert rule fired.</p>"
            : "<div class=\"alerts\" id=\"alerts\"><p>" + changes.Alerts.Count + " alert(s):</p><ul>"
                + string.Concat(changes.Alerts.Select(a => $"<li class=\"bad\">{ModelLink(a.Model)}: {Text(a.Detail)} <small>(rule <code>{Text(a.Rule)}</code>)</small></li>"))
                + "</ul></div>");
    }
}
