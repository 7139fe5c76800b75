using WeightWatcher.Core.Metrics;
using static WeightWatcher.Reports.Html.HtmlPage;

namespace WeightWatcher.Reports.Html;

/// <summary>A model's page and its layers' pages.</summary>
internal static class ModelPage
{
    public static byte[] Render(SiteInput input, SiteModel model, string slug)
    {
        var page = new HtmlPage($"Model {model.Model}", "../", "report");
        var ag = model.Aggregate;
        page.Raw("<dl>"
            + Item("series", model.Series ?? "—") + Item("top1_acc", model.Accuracy?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "—")
            + Item("content hash", model.ContentHash.Length == 0 ? "—" : model.ContentHash)
            + Item("layers analyzed", ag.Layers.ToString(System.Globalization.CultureInfo.InvariantCulture))
            + Item("failed layers", ag.FailedLayers.ToString(System.Globalization.CultureInfo.InvariantCulture))
            + Item("skipped layers", model.Skipped.Count == 0 ? "0" : $"{model.Skipped.Count}: {model.Skipped.Reasons}")
            + "</dl>");
        page.Heading("Summary", "summary");
        var metrics = ModelSummary.MetricNames.Where(n => ag.Summary[n] is not null).ToList();
        page.Table([.. metrics, "median_alpha", "share_alpha_lt_2", "share_alpha_gt_6"],
            [[.. metrics.Select(n => Number(ag.Summary[n])), Number(ag.MedianAlpha), Number(ag.ShareAlphaBelow2), Number(ag.ShareAlphaAbove6)]], "summary-table");
        if (model.History.Count > 0)
        {
            page.Heading("History", "history");
            var shown = RunSnapshotMetrics.Where(n => model.History.Any(h => h.Metrics.ContainsKey(n))).ToList();
            page.Table(["job", "finished", .. shown], model.History.Select(h => (IReadOnlyList<Cell>)
                [Cell.Of(h.JobId), Cell.Of(h.FinishedAt), .. shown.Select(n => Number(h.Metrics.TryGetValue(n, out var v) ? v : null))]), "history-table");
        }
        if (model.Rows.Count > 0)
        {
            page.Heading("Correlation flow", "flow");
            page.Figure($"../figures/models/{slug}.flow.png", $"../figures/models/{slug}.flow.svg", $"correlation flow of {model.Model}: alpha, alpha_weighted, log_norm and log_spectral_norm by layer depth");
        }
        Warnings(page, input, model);
        page.Heading("Layers", "layers");
        var columns = input.LayerColumns.Where(c => model.Rows.Any(r => r.ContainsKey(c))).ToList();
        page.Table(columns, model.Rows.Select(r => (IReadOnlyList<Cell>)[.. columns.Select(c => LayerCell(input, model, slug, r, c))]), "layer-table");
        var thumbs = model.Rows
            .Select(r => (Id: (int)ModelSummary.RowNumber(r, "layer_id"), Name: r.GetValueOrDefault("name")?.ToString() ?? ""))
            .DistinctBy(l => l.Id)
            .Where(l => model.FigureKeys.TryGetValue(l.Id, out var k) && input.LayerFigureViews.ContainsKey(k))
            .ToList();
        page.Heading("ESD of each layer", "esd");
        page.Raw(thumbs.Count == 0
            ? "<p>No stored spectra for this model's layers (results cached before spectra were kept: they are drawn once the layers are analyzed again).</p>"
            : string.Concat(thumbs.Select(l =>
                $"<a class=\"thumb\" href=\"{Attr($"{slug}/layer-{l.Id}.html")}\"><img src=\"{Attr($"../{input.LayerFiguresPath}/{model.FigureKeys[l.Id]}/esd.png")}\" alt=\"{Attr($"log-log ESD of layer {l.Id} {l.Name}")}\" loading=\"lazy\"><br>{Text($"{l.Id} {l.Name}")}</a>")));
        return page.ToBytes();
    }

    public static byte[] RenderLayer(SiteInput input, SiteModel model, string slug, IReadOnlyDictionary<string, object?> row, string key, IReadOnlyList<string> views)
    {
        int id = (int)ModelSummary.RowNumber(row, "layer_id");
        var page = new HtmlPage($"{model.Model}: layer {id} {row.GetValueOrDefault("name")}", "../../", null);
        page.Raw($"<nav>{Link($"../{slug}.html", $"← model {model.Model}")} · {Link("../../index.html", "report")}</nav>");
        var columns = input.LayerColumns.Where(row.ContainsKey).ToList();
        page.Table(columns, [[.. columns.Select(c => Value(row, c))]], "layer-row");
        foreach (var view in views)
        {
            string png = $"../../{input.LayerFiguresPath}/{key}/{view}.png";
            page.Figure(png, input.LayerFigureSvg ? png[..^4] + ".svg" : null, ViewCaption(view));
        }
        return page.ToBytes();
    }

    /// <summary>What each ESD view shows.</summary>
    public static string ViewCaption(string view) => view switch
    {
        "esd" => "log-log ESD with the fitted power law and xmin",
        "esd2" => "linear ESD histogram with xmin",
        "esd3" => "log10 ESD histogram with xmin and xmax",
        "esd4" => "KS distance D versus xmin",
        "esd5" => "alpha versus xmin",
        "mpfit" => "Marchenko-Pastur fit of the rescaled ESD",
        "randesd" => "ESD and randomized ESD, with the largest random eigenvalue",
        "randesd2" => "log10 ESD and randomized ESD, with the largest random eigenvalue",
        _ => view,
    };

    private static readonly string[] RunSnapshotMetrics = ["alpha", "alpha_weighted", "log_norm", "log_spectral_norm", "share_alpha_lt_2", "share_alpha_gt_6"];

    private static void Warnings(HtmlPage page, SiteInput input, SiteModel model)
    {
        var warned = model.Rows.Where(r => r.GetValueOrDefault("warning") is string w && w.Length > 0).ToList();
        var failures = input.Failures.Where(f => f.Model == model.Model).ToList();
        page.Heading("Warnings", "warnings");
        if (warned.Count == 0 && failures.Count == 0)
        {
            page.Paragraph("None: every analyzed layer has alpha in [2, 6], and nothing failed.");
            return;
        }
        page.Raw("<ul>"
            + string.Concat(warned.Select(r => $"<li class=\"warn\">layer {Text(Value(r, "layer_id").Html)} {Text(r.GetValueOrDefault("name")?.ToString())}: {Text(r["warning"]?.ToString())} (alpha {Value(r, "alpha").Html})</li>"))
            + string.Concat(failures.Select(f => $"<li class=\"bad\">{Text(f.Layer ?? "model")}: {Text(f.Reason)}</li>"))
            + "</ul>");
    }

    private static Cell LayerCell(SiteInput input, SiteModel model, string slug, IReadOnlyDictionary<string, object?> row, string column)
    {
        var cell = Value(row, column);
        if (column == "name" && model.FigureKeys.TryGetValue((int)ModelSummary.RowNumber(row, "layer_id"), out var key) && input.LayerFigureViews.ContainsKey(key))
        {
            return cell with { Html = Link($"{slug}/layer-{(int)ModelSummary.RowNumber(row, "layer_id")}.html", row[column]?.ToString() ?? "") };
        }
        return cell;
    }

    private static Cell Value(IReadOnlyDictionary<string, object?> row, string column) => row.GetValueOrDefault(column) switch
    {
        null => Cell.Of(""),
        double d => Number(d),
        float f => Number(f),
        int i => Number(i, 0),
        long l => Number(l, 0),
        string s when column == "warning" && s.Length > 0 => new Cell(Text(s), s, "warn"),
        var v => Cell.Of(CellFormatter.Format(v)),
    };

    private static string Item(string label, string value) => $"<dt>{Text(label)}</dt><dd>{Text(value)}</dd>";
}
