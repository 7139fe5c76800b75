using System.Text.RegularExpressions;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Synthetic;
using WeightWatcher.Reports.Html;

namespace WeightWatcher.Reports.Tests;

/// <summary>The site builder on a real analysis (<c>ww analyze --report</c>'s path): self-contained, every local link and image present.</summary>
public sealed class ReportSiteTests
{
    private static readonly Regex Reference = new("(?:href|src)=\"([^\"]*)\"", RegexOptions.Compiled);

    [Fact]
    public void A_model_report_links_only_to_its_own_files()
    {
        using var dir = new TempDir();
        ReferenceModel.WriteNpz(dir.File("reference.npz"));
        using var reader = ModelOpener.Open(dir.File("reference.npz"));
        var result = new Analyzer(new ManagedSpectralBackend(), 1).Analyze(reader, new AnalysisOptions { MpFit = true });
        var files = ModelReport.Build(result, "reference");
        var paths = files.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("index.html", paths);
        Assert.Contains("models/reference.html", paths);
        Assert.Contains("figures/models/reference.flow.svg", paths);
        foreach (var row in result.Rows)
        {
            Assert.Contains($"models/reference/layer-{row.Layer.LayerId}.html", paths);
            Assert.All(new[] { "esd", "esd2", "esd3", "esd4", "esd5", "mpfit" }, v => Assert.Contains($"figures/layers/layer{row.Layer.LayerId}/{v}.svg", paths));
        }
        int links = 0;
        foreach (var page in files.Where(f => f.Name.EndsWith(".html", StringComparison.Ordinal)))
        {
            string html = System.Text.Encoding.UTF8.GetString(page.Content);
            Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
            Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
            foreach (Match m in Reference.Matches(html))
            {
                string target = System.Net.WebUtility.HtmlDecode(m.Groups[1].Value);
                if (target.StartsWith("data:", StringComparison.Ordinal) || target.StartsWith('#'))
                {
                    continue;
                }
                string resolved = Path.GetRelativePath("/site", Path.GetFullPath(Path.Combine("/site", Path.GetDirectoryName(page.Name)!, target)));
                Assert.True(paths.Contains(resolved), $"{page.Name} links to {target}, which the site does not have");
                links++;
            }
        }
        Assert.True(links > 50, $"only {links} links checked");
        var modelPage = System.Text.Encoding.UTF8.GetString(files.Single(f => f.Name == "models/reference.html").Content);
        Assert.Contains("id=\"layer-table\"", modelPage, StringComparison.Ordinal);
        Assert.Contains("Correlation flow", modelPage, StringComparison.Ordinal);
    }

    [Fact]
    public void Slugs_are_file_safe_and_unique()
    {
        var slugs = ReportSite.Slugs(["a/b", "a_b", "A_B", "..", "x y"]);
        Assert.Equal(5, slugs.Values.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(slugs.Values, s => Assert.Matches("^[A-Za-z0-9._-]+$", s));
        Assert.DoesNotContain("..", slugs.Values);
    }
}
