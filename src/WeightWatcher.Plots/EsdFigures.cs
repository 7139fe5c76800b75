using ScottPlot;
using WeightWatcher.Core.Fitting;
using static WeightWatcher.Plots.FigureCanvas;

namespace WeightWatcher.Plots;

/// <summary>
/// The reference's figures of one layer's ESD (its <c>fit_powerlaw(plot=True)</c>, <c>mp_fit</c> and
/// <c>plot_random_esd</c>): <c>esd</c> log-log density with the fitted power law and xmin, <c>esd2</c>
/// linear histogram with xmin, <c>esd3</c> log10 histogram with xmin and xmax, <c>esd4</c> D versus xmin,
/// <c>esd5</c> alpha versus xmin; <c>mpfit</c> the Marchenko-Pastur density over the rescaled ESD when
/// an MP fit is given; <c>randesd</c> and <c>randesd2</c> the randomized ESD over the actual one, with
/// the largest random eigenvalue, when a random ESD is given.
/// </summary>
public static class EsdFigures
{
    /// <summary>The names of the five views drawn for every layer.</summary>
    public static readonly IReadOnlyList<string> Views = ["esd", "esd2", "esd3", "esd4", "esd5"];

    /// <summary>Every figure of <paramref name="layer"/>, as PNG (and SVG when <paramref name="svg"/>).</summary>
    public static IReadOnlyList<FigureImage> All(EsdFigureInput layer, bool svg = true)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var scan = PowerLawScan.Curves(layer.Evals, include: layer.Fit.Succeeded ? layer.Fit.Xmin : null);
        var figures = new List<FigureImage> { LogLog(layer, svg), Linear(layer, svg), Log10(layer, svg), Scan(layer, scan, true, svg), Scan(layer, scan, false, svg) };
        if (layer.Mp is { SigmaMp: > 0 } mp && layer.Evals.Length > 0)
        {
            figures.Add(MarchenkoPastur(layer, mp, svg));
        }
        if (layer.RandomEvals.Length > 0)
        {
            figures.Add(Random(layer, false, svg));
            figures.Add(Random(layer, true, svg));
        }
        return figures;
    }

    /// <summary>The eigenvalues the reference plots: above xmin/100 after a fit, above 0.4% of λmax after a failure.</summary>
    public static double[] Plotted(EsdFigureInput layer)
    {
        double floor = layer.Fit.Succeeded ? layer.Fit.Xmin / 100 : 0.4 * layer.Evals.DefaultIfEmpty(0).Max() / 100;
        return layer.Evals.Where(v => v > floor).ToArray();
    }

    private static FigureImage LogLog(EsdFigureInput layer, bool svg)
    {
        var fit = layer.Fit;
        string title = $"Log-Log ESD for {layer.LayerName}\n" + (fit.Succeeded
            ? $"α={F3(fit.Alpha)}; D_KS={F3(fit.D)}; λ_min={F3(fit.Xmin)} σ={F3(fit.Sigma)}"
            : "PL FIT FAILED");
        var plot = New(title, "λ (log10)", "density (log10)");
        var evals = Plotted(layer);
        var (edges, density) = DensityHistogram.Logarithmic(evals, 100);
        var logEdges = edges.Select(Math.Log10).ToArray();
        var logDensity = density.Select(d => d > 0 ? Math.Log10(d) : double.NaN).ToArray();
        var finite = logDensity.Where(double.IsFinite).ToList();
        if (fit.Succeeded)
        {
            var tail = layer.Evals.Where(v => v >= fit.Xmin).ToArray();
            // The tail's empirical density in log bins (about ten a decade, as powerlaw's plot_pdf) and the fitted pdf over the tail's values.
            int bins = Math.Max(2, (int)Math.Ceiling((Math.Log10(tail[^1]) - Math.Log10(tail[0])) * 10));
            var (tailEdges, tailDensity) = DensityHistogram.Logarithmic(tail, bins);
            var centres = Enumerable.Range(0, bins).Select(i => (Math.Log10(tailEdges[i]) + Math.Log10(tailEdges[i + 1])) / 2).ToArray();
            var empirical = tailDensity.Select(d => d > 0 ? Math.Log10(d) : double.NaN).ToArray();
            var unique = tail.Distinct().ToArray();
            var pdf = unique.Select(x => Math.Log10((fit.Alpha - 1) * Math.Pow(fit.Xmin, fit.Alpha - 1) * Math.Pow(x, -fit.Alpha))).ToArray();
            finite.AddRange(empirical.Where(double.IsFinite));
            finite.AddRange(pdf.Where(double.IsFinite));
            double floor = Math.Floor(finite.DefaultIfEmpty(0).Min()) - 0.25;
            Bars(plot, logEdges, logDensity.Select(d => double.IsFinite(d) ? d : floor).ToArray(), Blue.WithAlpha(0.55), "ESD", floor);
            Line(plot, centres.Where((_, i) => double.IsFinite(empirical[i])).ToArray(), empirical.Where(double.IsFinite).ToArray(), Red, "tail density", 2);
            Line(plot, unique.Select(Math.Log10).ToArray(), pdf, Red, "power-law fit", 2, LinePattern.Dashed);
            VLine(plot, Math.Log10(fit.Xmin), Red, "λ_min");
        }
        else
        {
            double floor = Math.Floor(finite.DefaultIfEmpty(0).Min()) - 0.25;
            Bars(plot, logEdges, logDensity.Select(d => double.IsFinite(d) ? d : floor).ToArray(), Blue.WithAlpha(0.55), "ESD", floor);
        }
        LogAxis(plot.Axes.Bottom);
        LogAxis(plot.Axes.Left);
        Legend(plot);
        return Render(plot, "esd", $"log-log ESD of layer {layer.LayerId} {layer.LayerName} with the power-law fit", svg);
    }

    private static FigureImage Linear(EsdFigureInput layer, bool svg)
    {
        var plot = New($"Lin-Lin ESD for {layer.LayerName}", "λ", "density");
        var (edges, density) = DensityHistogram.Linear(Plotted(layer), 100);
        Bars(plot, edges, density, Blue, "ESD");
        if (layer.Fit.Succeeded)
        {
            VLine(plot, layer.Fit.Xmin, Red, "λ_xmin");
        }
        Legend(plot);
        return Render(plot, "esd2", $"linear ESD histogram of layer {layer.LayerId} {layer.LayerName}", svg);
    }

    private static FigureImage Log10(EsdFigureInput layer, bool svg)
    {
        var plot = New($"Log-Lin ESD for {layer.LayerName}", "log10 λ", "density");
        var logs = Plotted(layer).Where(v => v > 0).Select(Math.Log10).ToArray();
        var (edges, density) = DensityHistogram.Linear(logs, 100);
        Bars(plot, edges, density, Blue, "ESD");
        if (layer.Fit.Succeeded)
        {
            VLine(plot, Math.Log10(layer.Fit.Xmin), Red, "λ_xmin");
            VLine(plot, Math.Log10(layer.Fit.Xmax ?? layer.Evals[^1]), Orange, "λ_xmax");
        }
        Legend(plot);
        return Render(plot, "esd3", $"log10 ESD histogram of layer {layer.LayerId} {layer.LayerName}", svg);
    }

    private static FigureImage Scan(EsdFigureInput layer, IReadOnlyList<ScanPoint> scan, bool d, bool svg)
    {
        string metric = d ? "D_KS" : "α";
        string xmin = layer.Fit.Succeeded ? G3(layer.Fit.Xmin) : "failed";
        var plot = New($"{metric} vs. x_min, λ_xmin={xmin}", "x_min", metric);
        var xs = scan.Select(p => p.Xmin).ToArray();
        var ys = scan.Select(p => d ? p.D : p.Alpha).ToArray();
        Line(plot, xs, ys, Blue, d ? "D_KS" : "α(xmin)", 1.5f);
        if (layer.Fit.Succeeded)
        {
            VLine(plot, layer.Fit.Xmin, Red, "λ_xmin");
        }
        Legend(plot);
        return Render(plot, d ? "esd4" : "esd5", $"{(d ? "KS distance" : "alpha")} versus xmin for layer {layer.LayerId} {layer.LayerName}", svg);
    }

    private static FigureImage MarchenkoPastur(EsdFigureInput layer, MpFitResult mp, bool svg)
    {
        double scale2 = mp.WScale * mp.WScale;
        var rescaled = layer.Evals.Select(v => v * scale2).ToArray();
        double q = layer.Q, sigma = mp.SigmaMp;
        string law = q == 1 ? "QC SSD" : "MP ESD";
        var plot = New($"{law} for layer {layer.LayerName}\nQ={G3(q)} σ_mp={G3(sigma)} R_mp={G3(mp.MpSoftRank)} # spikes={mp.NumSpikes}", "λ (rescaled)", "density");
        var (edges, density) = DensityHistogram.Linear(rescaled, 100);
        Bars(plot, edges, density, Blue.WithAlpha(0.6), "ρ_emp(λ)");
        double a = Math.Pow(sigma * (1 - Math.Sqrt(1 / q)), 2), b = Math.Pow(sigma * (1 + Math.Sqrt(1 / q)), 2);
        double lo = Math.Max(rescaled.Min(), a), hi = Math.Min(rescaled.Max(), b);
        if (hi > lo)
        {
            var xs = Enumerable.Range(0, 400).Select(i => lo + ((hi - lo) * i / 399)).ToArray();
            var ys = xs.Select(x => 1 / (2 * Math.PI * sigma * sigma * x * (1 / q)) * Math.Sqrt(Math.Max(0, (b - x) * (x - a)))).ToArray();
            Line(plot, xs, ys, Red, "MP fit", 1.5f);
        }
        VLine(plot, mp.BulkMax * scale2, Red, "bulk edge", LinePattern.Dashed);
        Legend(plot);
        return Render(plot, "mpfit", $"Marchenko-Pastur fit of layer {layer.LayerId} {layer.LayerName}", svg);
    }

    private static FigureImage Random(EsdFigureInput layer, bool log, bool svg)
    {
        string what = log ? "Log10 ESD & Random ESD" : "ESD & Random ESD";
        var plot = New($"Layer {layer.LayerId} {layer.LayerName}: {what}", log ? "log10 λ" : "λ", "density");
        Func<double, double> f = log ? Math.Log10 : v => v;
        var actual = layer.Evals.Where(v => v > 0).Select(f).ToArray();
        var random = layer.RandomEvals.Where(v => v > 0).Select(f).ToArray();
        var (e1, d1) = DensityHistogram.Linear(actual, 100);
        var (e2, d2) = DensityHistogram.Linear(random, 100);
        Bars(plot, e1, d1, Green, "original");
        Bars(plot, e2, d2, Red.WithAlpha(0.5), "random");
        VLine(plot, f(layer.RandomEvals.Max()), Orange, "max rand");
        Legend(plot);
        return Render(plot, log ? "randesd2" : "randesd", $"{what.ToLowerInvariant()} of layer {layer.LayerId} {layer.LayerName}", svg);
    }
}
