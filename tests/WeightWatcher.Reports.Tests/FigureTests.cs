using System.Xml.Linq;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Fitting;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Regression;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Synthetic;
using WeightWatcher.Plots;
using WeightWatcher.Reports.Tests.Support;

namespace WeightWatcher.Reports.Tests;

/// <summary>
/// Every figure kind drawn from real analyses (the embedded reference model with MP fit and a seeded
/// randomization; three generated models for the series figures): its size, that it is drawn on, that the
/// SVG twin is a document, and one comparison per kind with a stored expected picture
/// (<c>Expected/&lt;kind&gt;.png</c>; WW_UPDATE_EXPECTED=1 rewrites them after a deliberate change).
/// </summary>
public sealed class FigureTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, FigureImage>> Figures = new(DrawAll);

    public static TheoryData<string> Kinds() =>
        ["esd", "esd2", "esd3", "esd4", "esd5", "mpfit", "randesd", "randesd2", "flow", "alpha_hist", "flows", "regression.alpha"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Figure_is_sized_drawn_and_matches_its_expected_picture(string kind)
    {
        var figure = Figures.Value[kind];
        using var image = ImageCompare.Decode(figure.Png);
        var (width, height) = kind is "flow" or "flows" ? (960, 720) : (640, 480);
        Assert.Equal((width, height), (image.Width, image.Height));
        double ink = ImageCompare.InkShare(image);
        Assert.InRange(ink, 0.03, 0.9);
        Assert.True(ImageCompare.ColourCount(image) >= 4, $"{kind}: too few colours for a figure with data");
        var svg = XDocument.Parse(figure.Svg!);
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        Assert.Contains(svg.Descendants(), e => e.Name.LocalName == "path");

        string expectedPath = Path.Combine(AppContext.BaseDirectory, "Expected", $"{kind}.png");
        if (Environment.GetEnvironmentVariable("WW_UPDATE_EXPECTED") == "1")
        {
            File.WriteAllBytes(Path.Combine(Repository.Root, "tests", "WeightWatcher.Reports.Tests", "Expected", $"{kind}.png"), figure.Png);
            return;
        }
        Assert.True(File.Exists(expectedPath), $"{expectedPath} is missing (run once with WW_UPDATE_EXPECTED=1)");
        using var expected = ImageCompare.Decode(File.ReadAllBytes(expectedPath));
        double differing = ImageCompare.DifferingShare(image, expected);
        if (differing > 0.01)
        {
            figure.Save(Repository.ArtifactDirectory("figures"), "actual.");
        }
        Assert.True(differing <= 0.01, $"{kind}: {differing:P2} of the pixels differ from Expected/{kind}.png (the actual figure is in artifacts/test-results/figures)");
    }

    [Fact]
    public void The_comparison_tells_two_different_figures_apart()
    {
        using var a = ImageCompare.Decode(Figures.Value["esd2"].Png);
        using var b = ImageCompare.Decode(Figures.Value["esd3"].Png);
        Assert.True(ImageCompare.DifferingShare(a, b) > 0.02);
        Assert.Equal(0, ImageCompare.DifferingShare(a, a));
    }

    [Fact]
    public void Overlays_are_drawn_only_when_their_analysis_was_run()
    {
        var plain = Analysis(new AnalysisOptions()).Rows[0];
        Assert.Equal(EsdFigures.Views, EsdFigures.All(EsdFigureInput.From(plain), svg: false).Select(f => f.Name));
        var full = Analysis(new AnalysisOptions { MpFit = true, Randomize = true }).Rows[0];
        Assert.Equal([.. EsdFigures.Views, "mpfit", "randesd", "randesd2"], EsdFigures.All(EsdFigureInput.From(full), svg: false).Select(f => f.Name));
        Assert.All(EsdFigures.All(EsdFigureInput.From(full), svg: false), f => Assert.Null(f.Svg));
    }

    [Fact]
    public void A_failed_fit_still_gets_its_views()
    {
        var row = Analysis(new AnalysisOptions()).Rows[0];
        var failed = new EsdFigureInput(row.Layer.LayerId, row.Layer.Name, row.Spectrum.Evals, PowerLawFitResult.Failed);
        var figures = EsdFigures.All(failed);
        Assert.Equal(5, figures.Count);
        Assert.All(figures, f => Assert.InRange(ImageCompare.InkShare(ImageCompare.Decode(f.Png)), 0.03, 0.9));
    }

    [Theory]
    [InlineData(new double[0])]
    [InlineData(new[] { 0.0, 0.0, 0.0 })]
    [InlineData(new[] { 2.0, 2.0, 2.0, 2.0 })]
    [InlineData(new[] { 1e-9, 1e-3, 1.0, 1e3 })]
    public void Degenerate_spectra_still_draw_every_figure(double[] evals)
    {
        var input = new EsdFigureInput(1, "odd", evals, PowerLawFitResult.Failed)
        {
            Mp = new MpFitResult(1, 0, 0.5, 2, 0.1, 1),
            Q = 2,
            RandomEvals = evals,
        };
        var figures = EsdFigures.All(input, svg: false);
        Assert.Equal(evals.Length == 0 ? 5 : 8, figures.Count);
        Assert.All(figures, f => Assert.True(ImageCompare.Decode(f.Png).Width == 640));
    }

    [Fact]
    public void The_scan_curves_meet_the_fit_at_its_xmin()
    {
        foreach (var row in Analysis(new AnalysisOptions()).Rows)
        {
            var fit = row.Tail.Fit;
            var curve = PowerLawScan.Curves(row.Spectrum.Evals, maxPoints: 50, include: fit.Xmin);
            var at = curve.Single(p => p.Xmin == fit.Xmin);
            Assert.Equal(fit.Alpha, at.Alpha, 1e-9);
            Assert.Equal(fit.D, at.D, 1e-9);
            Assert.Equal(fit.D, curve.Min(p => p.D), 1e-12);
            int candidates = PowerLawScan.Fitted(row.Spectrum.Evals).Length - 1;
            Assert.Equal(candidates, PowerLawScan.Curves(row.Spectrum.Evals, maxPoints: candidates + 5).Count);
        }
    }

    private static AnalysisResult Analysis(AnalysisOptions options)
    {
        using var dir = new TempDir();
        string path = dir.File("reference.npz");
        ReferenceModel.WriteNpz(path);
        using var reader = ModelOpener.Open(path);
        // The managed provider: the same eigenvalues on every machine, whatever its BLAS kernels.
        return new Analyzer(new ManagedSpectralBackend(), 1).Analyze(reader, options with { Seed = 7 });
    }

    private static IReadOnlyDictionary<string, FigureImage> DrawAll()
    {
        var reference = Analysis(new AnalysisOptions { MpFit = true, Randomize = true });
        var figures = EsdFigures.All(EsdFigureInput.From(reference.Rows[1])).ToDictionary(f => f.Name);
        figures["flow"] = ModelFigures.CorrelationFlow(ModelFlow.From("reference", reference.Rows));

        using var dir = new TempDir();
        TestZoo.WriteGenerated(dir.Path);
        var flows = new List<ModelFlow>();
        foreach (var name in new[] { "mlp-a", "mlp-b", "mlp-c" })
        {
            using var reader = ModelOpener.Open(Path.Combine(dir.Path, name + ".safetensors"));
            flows.Add(ModelFlow.From(name, new Analyzer(new ManagedSpectralBackend(), 1).Analyze(reader, new AnalysisOptions()).Rows));
        }
        figures["alpha_hist"] = ModelFigures.AlphaHistograms("mlp", flows);
        figures["flows"] = ModelFigures.SeriesFlows("mlp", flows);
        (string, double, double)[] points = [("mlp-a", 2.9, 71.5), ("mlp-b", 3.4, 74.0), ("mlp-c", 3.6, 76.25), ("mlp-d", 4.1, 76.0)];
        var fit = SeriesRegression.Fit(points.Select(p => p.Item2).ToList(), points.Select(p => p.Item3).ToList());
        figures["regression.alpha"] = ModelFigures.Regression("mlp", "alpha", points, fit);
        return figures;
    }
}
