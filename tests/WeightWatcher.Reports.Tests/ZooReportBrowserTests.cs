using PuppeteerSharp;
using WeightWatcher.Reports.Tests.Support;

namespace WeightWatcher.Reports.Tests;

/// <summary>
/// A real zoo run (a <c>ww zoo run</c> process) over the CIFAR-10 ResNet series in ../shared/zoo, and its
/// report opened in a real headless Chromium (Debian's): every page kind loads without console errors or
/// requests outside the site, every image and link resolves, the model table sorts, and a full-page
/// screenshot of each page kind is kept under artifacts/test-results/screenshots/.
/// </summary>
public sealed class ZooReportBrowserTests
{
    private static readonly string[] Series = ["resnet20", "resnet32", "resnet44", "resnet56"];

    [Fact]
    public async Task The_CIFAR_zoo_report_opens_whole_in_a_headless_browser()
    {
        string zoo = SharedFolder.Require("zoo/cifar10-resnet");
        Prerequisite.RequireChromium();
        using var dir = new TempDir();
        var run = WwProcess.Run(TimeSpan.FromMinutes(6), new Dictionary<string, string> { ["WW_LOG_LEVEL"] = "Warning" },
            "zoo", "run", "--store", zoo, "--result-store", dir.Path, "--results", "results/");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Stdout}\n{WwProcess.Tail(run.Stderr)}");
        string results = Path.Combine(dir.Path, "results");
        string entry = Path.Combine(results, "report", "index.html");
        Assert.EndsWith($"report: {entry}", run.Stdout.TrimEnd(), StringComparison.Ordinal);
        var manifest = ResultFiles.Manifest(results);
        TestContext.Current.SendDiagnosticMessage(
            $"CIFAR zoo: {manifest.Counts.Layers} layers; analysis {manifest.Timings.Analysis:F2} s, tables {manifest.Timings.Reports:F2} s, report {manifest.Timings.Site:F2} s (report/analysis = {manifest.Timings.Site / manifest.Timings.Analysis:F1})");

        string site = Path.Combine(results, "runs", manifest.JobId, "report");
        string seriesPage = File.ReadAllText(Path.Combine(site, "series", "cifar10-resnet.html"));
        Assert.All(Series, m => Assert.Contains($">{m}</a>", seriesPage, StringComparison.Ordinal));
        Assert.Contains("regression.alpha.png", seriesPage, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(site, "figures", "series", "cifar10-resnet.regression.alpha.png")));

        string shots = Repository.ArtifactDirectory("screenshots");
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var index = await OpenChecked(chromium, entry, shots, "index");
        await SortsByAlpha(index);

        var pages = new Dictionary<string, string>
        {
            ["model"] = Path.Combine(site, "models", "resnet20.html"),
            ["series"] = Path.Combine(site, "series", "cifar10-resnet.html"),
            ["failures"] = Path.Combine(site, "failures.html"),
            ["manifest"] = Path.Combine(site, "manifest.html"),
        };
        foreach (var (kind, path) in pages)
        {
            var page = await OpenChecked(chromium, path, shots, kind);
            if (kind == "model")
            {
                // A thumbnail opens the layer's full views.
                string layer = await page.EvaluateExpressionAsync<string>("document.querySelector('a.thumb').href");
                var layerPage = await OpenChecked(chromium, new Uri(layer).LocalPath, shots, "layer");
                Assert.True(await layerPage.EvaluateExpressionAsync<int>("document.images.length") >= 5);
            }
            if (kind == "series")
            {
                Assert.Equal(4, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#series-models tbody tr').length"));
                Assert.True(await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#regression-table tbody tr').length") >= 4);
            }
        }
        Assert.True(chromium.Problems.Count == 0, string.Join("\n", chromium.Problems));
    }

    private static async Task<IPage> OpenChecked(HeadlessChromium chromium, string path, string shots, string kind)
    {
        var page = await chromium.OpenAsync(path);
        var broken = await HeadlessChromium.BrokenImagesAsync(page);
        Assert.True(broken.Length == 0, $"{kind}: images that did not load: {string.Join(", ", broken)}");
        var links = await HeadlessChromium.LinksAsync(page);
        Assert.NotEmpty(links);
        foreach (var link in links)
        {
            var uri = new Uri(link);
            Assert.True(uri.Scheme == "file", $"{kind}: link outside the site: {link}");
            Assert.True(File.Exists(uri.LocalPath), $"{kind}: link to a missing file: {link}");
        }
        await page.ScreenshotAsync(Path.Combine(shots, $"{kind}.png"), new ScreenshotOptions { FullPage = true });
        return page;
    }

    private static async Task SortsByAlpha(IPage index)
    {
        int column = await index.EvaluateExpressionAsync<int>("Array.from(document.querySelectorAll('#model-table th')).findIndex(h => h.textContent === 'alpha')");
        Assert.True(column >= 0);
        string values = $"Array.from(document.querySelectorAll('#model-table tbody tr')).map(r => Number(r.cells[{column}].dataset.v))";
        string names = "Array.from(document.querySelectorAll('#model-table tbody tr')).map(r => r.cells[0].textContent)";
        var before = await index.EvaluateExpressionAsync<string[]>(names);
        await index.ClickAsync($"#model-table th:nth-child({column + 1})");
        var ascending = await index.EvaluateExpressionAsync<double[]>(values);
        Assert.Equal(ascending.Order(), ascending);
        await index.ClickAsync($"#model-table th:nth-child({column + 1})");
        var descending = await index.EvaluateExpressionAsync<double[]>(values);
        Assert.Equal(ascending.Reverse(), descending);
        Assert.NotEqual(before, await index.EvaluateExpressionAsync<string[]>(names)); // the rows really moved
    }
}
