using ScottPlot;
using WeightWatcher.Core.Regression;
using static WeightWatcher.Plots.FigureCanvas;

namespace WeightWatcher.Plots;

/// <summary>
/// Figures of one model and of a series of models: the correlation flow (each flow metric versus layer
/// depth, the paper's figure), the series' flows overlaid and layer-alpha histograms overlaid (as the
/// paper compares GPT with GPT-2, and GPT-2 small to xl), and each summary metric versus reported
/// accuracy with the least-squares line and its RMSE, R² and Kendall tau (the paper's regressions).
/// </summary>
public static class ModelFigures
{
    /// <summary>A model's correlation flow: one panel per metric of <see cref="ModelFlow.Metrics"/>, x = layer index in depth order.</summary>
    public static FigureImage CorrelationFlow(ModelFlow flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return Flows([flow], "flow", $"correlation flow of {flow.Model}", flow.Model);
    }

    /// <summary>The series' correlation flows overlaid, one line per model (x = layer index).</summary>
    public static FigureImage SeriesFlows(string series, IReadOnlyList<ModelFlow> flows) =>
        Flows(flows, "flows", $"correlation flows of series {series}", series);

    /// <summary>The models' layer-alpha histograms overlaid (shared bins over alpha in [0, 10], densities).</summary>
    public static FigureImage AlphaHistograms(string series, IReadOnlyList<ModelFlow> flows)
    {
        ArgumentNullException.ThrowIfNull(flows);
        var plot = New($"Layer α of series {series}", "α", "density");
        var edges = Enumerable.Range(0, 41).Select(i => i * 0.25).ToArray();
        for (int m = 0; m < flows.Count; m++)
        {
            var alphas = flows[m].Layers.Select(p => ModelFlow.Value(p, "alpha")).Where(double.IsFinite).Select(a => Math.Min(a, 10)).ToList();
            Bars(plot, edges, DensityHistogram.Density(alphas, edges), SeriesColors[m % SeriesColors.Length].WithAlpha(0.45), flows[m].Model);
        }
        VLine(plot, 2, Color.FromHex("#555555"), "α = 2", LinePattern.Dotted);
        VLine(plot, 6, Color.FromHex("#555555"), "α = 6", LinePattern.Dotted);
        Legend(plot);
        return Render(plot, "alpha_hist", $"layer-alpha histograms of series {series}", true);
    }

    /// <summary>
    /// Accuracy versus one summary metric: a point per model (labelled), the least-squares line, and
    /// RMSE, R² and Kendall tau in the title.
    /// </summary>
    /// <param name="series">The series.</param>
    /// <param name="metric">The summary metric (x).</param>
    /// <param name="points">Each model's metric value and accuracy.</param>
    /// <param name="fit">The regression of accuracy on the metric over those points.</param>
    public static FigureImage Regression(string series, string metric, IReadOnlyList<(string Model, double X, double Y)> points, RegressionResult fit)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(fit);
        var plot = New($"{series}: accuracy vs {metric}\nRMSE={F3(fit.Rmse)}  R²={F3(fit.R2)}  Kendall τ={F3(fit.KendallTau)}", metric, "reported accuracy");
        var xs = points.Select(p => p.X).ToArray();
        var ys = points.Select(p => p.Y).ToArray();
        var markers = plot.Add.Markers(xs, ys, MarkerShape.FilledCircle, 9, Blue);
        markers.LegendText = "models";
        foreach (var p in points)
        {
            var label = plot.Add.Text(p.Model, p.X, p.Y);
            label.LabelFontSize = 11;
            label.LabelFontName = plot.Axes.Bottom.Label.FontName;
            label.OffsetX = 6;
            label.OffsetY = -6;
        }
        if (xs.Length > 0)
        {
            double lo = xs.Min(), hi = xs.Max(), pad = (hi - lo) * 0.05;
            Line(plot, [lo - pad, hi + pad], [fit.Intercept + (fit.Slope * (lo - pad)), fit.Intercept + (fit.Slope * (hi + pad))], Red, $"OLS: y = {G3(fit.Slope)}·x + {G3(fit.Intercept)}", 2);
            plot.Axes.Margins(0.15, 0.15);
        }
        Legend(plot, Alignment.LowerRight);
        return Render(plot, $"regression.{metric}", $"accuracy versus {metric} in series {series}, with the least-squares line", true);
    }

    private static FigureImage Flows(IReadOnlyList<ModelFlow> flows, string name, string title, string label)
    {
        var panels = new List<Plot>();
        foreach (var (column, axis) in ModelFlow.Metrics)
        {
            var plot = New($"{axis} — {label}", "layer index (depth)", axis);
            for (int m = 0; m < flows.Count; m++)
            {
                var points = flows[m].Layers.Select((p, i) => (X: (double)i, Y: ModelFlow.Value(p, column))).Where(p => double.IsFinite(p.Y)).ToList();
                Line(plot, points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray(), SeriesColors[m % SeriesColors.Length], flows.Count > 1 ? flows[m].Model : null, 1.5f, markerSize: 5);
            }
            if (flows.Count > 1)
            {
                Legend(plot);
            }
            panels.Add(plot);
        }
        return RenderGrid(panels, 2, name, title, true, Width * 3 / 4, Height * 3 / 4);
    }
}
