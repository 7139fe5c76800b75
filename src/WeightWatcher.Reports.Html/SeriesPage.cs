using WeightWatcher.Reports.Zoo;
using static WeightWatcher.Reports.Html.HtmlPage;

namespace WeightWatcher.Reports.Html;

/// <summary>A series' page: its models, the regression table and the figures.</summary>
internal static class SeriesPage
{
    public static byte[] Render(SiteInput input, string series, IReadOnlyList<SeriesRow> rows, IReadOnlyList<SiteModel> members, IReadOnlyDictionary<string, string> slugs)
    {
        string slug = ReportSite.Slugs([series])[series];
        var page = new HtmlPage($"Series {series}", "../", "report");
        page.Paragraph($"{members.Count} model(s). Reported accuracy regressed on each summary metric (least squares; RMSE = sqrt(SSE/n)).");
        page.Heading("Models", "models");
        page.Table(["model", "top1_acc", "alpha", "alpha_weighted", "log_norm", "log_spectral_norm"], members.Select(m => (IReadOnlyList<Cell>)
        [
            Cell.Markup(Link($"../models/{slugs[m.Model]}.html", m.Model), m.Model),
            Number(m.Accuracy),
            Number(m.Aggregate.Summary["alpha"]),
            Number(m.Aggregate.Summary["alpha_weighted"]),
            Number(m.Aggregate.Summary["log_norm"]),
            Number(m.Aggregate.Summary["log_spectral_norm"]),
        ]), "series-models");
        page.Heading("Regressions", "regressions");
        page.Table(ZooReport.SeriesColumns.Skip(1).ToList(), rows.Select(r => (IReadOnlyList<Cell>)
        [
            Cell.Of(r.Metric), Number(r.Fit.N, 0), Number(r.Fit.Slope), Number(r.Fit.Intercept), Number(r.Fit.Rmse), Number(r.Fit.R2), Number(r.Fit.KendallTau),
        ]), "regression-table");
        page.Heading("Figures", "figures");
        page.Figure($"../figures/series/{slug}.alpha_hist.png", $"../figures/series/{slug}.alpha_hist.svg", "layer-alpha histograms of the series' models, overlaid");
        page.Figure($"../figures/series/{slug}.flows.png", $"../figures/series/{slug}.flows.svg", "correlation flows of the series' models, overlaid");
        foreach (var row in rows)
        {
            page.Figure($"../figures/series/{slug}.regression.{row.Metric}.png", $"../figures/series/{slug}.regression.{row.Metric}.svg", $"accuracy versus {row.Metric}, with the least-squares line");
        }
        return page.ToBytes();
    }

    /// <summary>The (model, metric, accuracy) points of a regression: members with an accuracy and a finite metric, as <c>ZooReport.Series</c> takes them.</summary>
    public static IReadOnlyList<(string Model, double X, double Y)> Points(IReadOnlyList<SiteModel> members, string metric) =>
        members
            .Where(m => m.Accuracy is not null && m.Aggregate.Summary[metric] is { } v && double.IsFinite(v))
            .OrderBy(m => m.Model, StringComparer.Ordinal)
            .Select(m => (m.Model, m.Aggregate.Summary[metric]!.Value, m.Accuracy!.Value))
            .ToList();
}
