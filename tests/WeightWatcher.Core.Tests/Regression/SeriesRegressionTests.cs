using System.Globalization;
using WeightWatcher.Core.Regression;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Regression;

public sealed class SeriesRegressionTests
{
    [Fact]
    public void Small_case_matches_the_hand_computation()
    {
        // x̄ = 2.5, ȳ = 3.75; Sxx = 5, Sxy = 3.5, Syy = 4.75 -> slope 0.7, intercept 2.0;
        // residuals -0.7, 0.6, 0.9, -0.8 -> SSE 2.3. Pairs: 4 concordant, 1 discordant, 1 tied in y.
        var fit = SeriesRegression.Fit([1, 2, 3, 4], [2, 4, 5, 4]);
        Assert.Equal(4, fit.N);
        Assert.Equal(0.7, fit.Slope, 1e-14);
        Assert.Equal(2.0, fit.Intercept, 1e-14);
        Assert.Equal(Math.Sqrt(2.3 / 4), fit.Rmse, 1e-14);
        Assert.Equal(1 - (2.3 / 4.75), fit.R2, 1e-14);
        Assert.Equal(3 / Math.Sqrt(6 * 5), fit.KendallTau, 1e-14);
    }

    [Fact]
    public void Perfect_line_has_r2_one_rmse_zero_and_tau_one()
    {
        double[] x = [0.5, 1, 2, 10, 3];
        var fit = SeriesRegression.Fit(x, x.Select(v => (3 * v) - 7).ToArray());
        Assert.Equal(3, fit.Slope, 1e-13);
        Assert.Equal(-7, fit.Intercept, 1e-13);
        Assert.Equal(0, fit.Rmse, 1e-13);
        Assert.Equal(1, fit.R2, 1e-13);
        Assert.Equal(1, fit.KendallTau);

        var falling = SeriesRegression.Fit(x, x.Select(v => 90 - (2 * v)).ToArray());
        Assert.Equal(-2, falling.Slope, 1e-13);
        Assert.Equal(-1, falling.KendallTau);
    }

    [Fact]
    public void Tau_b_discounts_ties_in_x_in_y_and_in_both()
    {
        // One pair tied in x only, one in y only, four concordant: 4 / sqrt(5 * 5).
        Assert.Equal(0.8, SeriesRegression.Fit([1, 1, 2, 3], [1, 2, 2, 3]).KendallTau, 1e-15);
        // The pair tied in both counts in both tie totals: -2 / sqrt(2 * 2).
        Assert.Equal(-1, SeriesRegression.Fit([1, 1, 2], [3, 3, 1]).KendallTau, 1e-15);
    }

    [Fact]
    public void Centring_keeps_precision_with_a_large_offset()
    {
        // x near 1e9 with a spread of 0.3: uncentred sums of squares (about 4e18) would lose the spread.
        double[] x = [1e9, 1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.3];
        double[] y = x.Select(v => 92 + (2 * (v - 1e9))).ToArray();
        var fit = SeriesRegression.Fit(x, y);
        Assert.Equal(2, fit.Slope, 1e-6);
        Assert.True(fit.Rmse < 1e-6, $"rmse {fit.Rmse}");
        Assert.Equal(1, fit.R2, 1e-9);
    }

    [Fact]
    public void Non_finite_pairs_are_dropped_and_not_counted()
    {
        double[] x = [1, double.NaN, 2, 3, 4, double.PositiveInfinity];
        double[] y = [2, 7, 4, 5, 4, 1];
        var fit = SeriesRegression.Fit(x, y);
        var clean = SeriesRegression.Fit([1, 2, 3, 4], [2, 4, 5, 4]);
        Assert.Equal(clean, fit);
        Assert.Equal(4, SeriesRegression.Fit([1, 2, 3, 4, 5], [2, 4, 5, 4, double.NaN]).N);
    }

    [Fact]
    public void Constant_x_gives_no_line_and_constant_y_no_r2()
    {
        var flatX = SeriesRegression.Fit([2, 2, 2], [1, 2, 3]);
        Assert.Equal(3, flatX.N);
        Assert.True(double.IsNaN(flatX.Slope) && double.IsNaN(flatX.Intercept) && double.IsNaN(flatX.Rmse));
        Assert.True(double.IsNaN(flatX.R2) && double.IsNaN(flatX.KendallTau));

        var flatY = SeriesRegression.Fit([1, 2, 3], [5, 5, 5]);
        Assert.Equal(0, flatY.Slope);
        Assert.Equal(5, flatY.Intercept);
        Assert.Equal(0, flatY.Rmse);
        Assert.True(double.IsNaN(flatY.R2) && double.IsNaN(flatY.KendallTau));
    }

    [Fact]
    public void Too_few_pairs_or_unequal_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => SeriesRegression.Fit([1], [2]));
        Assert.Throws<ArgumentException>(() => SeriesRegression.Fit([1, double.NaN, 3], [2, 3, double.NegativeInfinity]));
        Assert.Throws<ArgumentException>(() => SeriesRegression.Fit([1, 2, 3], [1, 2]));
        Assert.Throws<ArgumentException>(() => SeriesRegression.KendallTauB([1, double.NaN], [1, 2]));
        Assert.Equal(2, SeriesRegression.Fit([1, 2], [3, 1]).N);
    }

    public static TheoryData<string, double[]> PaperRmse() => new()
    {
        // Metrics in the README's order: log_norm, log_spectral_norm, alpha_weighted, log_alpha_norm, alpha.
        { "VGG", [0.561, 0.227, 0.479, 0.337, 0.404] },
        { "ResNet", [0.897, 0.965, 0.613, 0.665, 2.179] },
        { "DenseNet", [0.303, 0.115, 0.164, 0.212, 1.161] },
    };

    [Theory]
    [MemberData(nameof(PaperRmse))]
    public void Reproduces_the_papers_per_series_rmse(string series, double[] expected)
    {
        string[] metrics = ["log_norm", "log_spectral_norm", "alpha_weighted", "log_alpha_norm", "alpha"];
        var rows = PaperRows(series);
        for (int m = 0; m < metrics.Length; m++)
        {
            var fit = FitPaper(rows, metrics[m]);
            Assert.Equal(rows.Count, fit.N);
            Assert.True(Math.Round(fit.Rmse, 3) == expected[m], $"{series} {metrics[m]}: rmse {fit.Rmse:F5}, paper {expected[m]}");
        }
    }

    [Theory]
    [InlineData("VGG", 8, 0.915, -0.929)]
    [InlineData("ResNet", 5, 0.961, -1.000)]
    [InlineData("DenseNet", 4, 0.980, -1.000)]
    public void Reproduces_the_papers_alpha_weighted_r2_and_tau(string series, int models, double r2, double tau)
    {
        var rows = PaperRows(series);
        Assert.Equal(models, rows.Count);
        var fit = FitPaper(rows, "alpha_weighted");
        Assert.Equal(r2, Math.Round(fit.R2, 3));
        Assert.Equal(tau, Math.Round(fit.KendallTau, 3));
    }

    private static List<IReadOnlyDictionary<string, string>> PaperRows(string series) =>
        GoldenCsv.Read(SharedFolder.Require(Path.Combine("paper", "torchvision-2020.csv"))).Rows.Where(r => r["series"] == series).ToList();

    private static RegressionResult FitPaper(List<IReadOnlyDictionary<string, string>> rows, string metric) =>
        SeriesRegression.Fit(
            rows.Select(r => Parse(r[metric])).ToList(),
            rows.Select(r => 100 - Parse(r["top1_err"])).ToList());

    private static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
