using PuppeteerSharp;

namespace WeightWatcher.Reports.Tests.Support;

/// <summary>
/// Debian's Chromium driven by PuppeteerSharp (which never downloads a browser here): headless, no
/// sandbox, no GPU, no network side-channels (QUIC, background networking, component updates, sync),
/// a fresh profile per launch. Records every console error, page error and failed or non-local request.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly IBrowser _browser;
    private readonly string _profile;

    private HeadlessChromium(IBrowser browser, string profile)
    {
        _browser = browser;
        _profile = profile;
    }

    /// <summary>Problems seen on any page: console errors, script errors, failed requests, requests leaving file:/data:.</summary>
    public List<string> Problems { get; } = [];

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        string executable = Prerequisite.RequireChromium();
        string profile = Path.Combine(Path.GetTempPath(), "ww-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            UserDataDir = profile,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--allow-file-access-from-files",
            ],
        });
        return new HeadlessChromium(browser, profile);
    }

    /// <summary>Opens <paramref name="file"/> (a local path) in a new page and waits until it and its images have loaded.</summary>
    public async Task<IPage> OpenAsync(string file)
    {
        var page = await _browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 900 });
        page.Console += (_, e) =>
        {
            if (e.Message.Type == ConsoleType.Error)
            {
                Problems.Add($"{file}: console error: {e.Message.Text}");
            }
        };
        page.PageError += (_, e) => Problems.Add($"{file}: script error: {e.Message}");
        page.RequestFailed += (_, e) => Problems.Add($"{file}: request failed: {e.Request.Url} ({e.Request.FailureText})");
        page.Request += (_, e) =>
        {
            if (!e.Request.Url.StartsWith("file:", StringComparison.Ordinal) && !e.Request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                Problems.Add($"{file}: request outside the site: {e.Request.Url}");
            }
        };
        await page.GoToAsync(new Uri(file).AbsoluteUri, WaitUntilNavigation.Load);
        // Thumbnails load lazily: make every image eager and wait for all of them.
        await page.EvaluateExpressionAsync(
            "Promise.all(Array.from(document.images).map(i => { i.loading = 'eager'; return i.complete ? null : new Promise(r => { i.onload = r; i.onerror = r; }); }))");
        return page;
    }

    /// <summary>Images that did not load (src of each).</summary>
    public static Task<string[]> BrokenImagesAsync(IPage page) =>
        page.EvaluateExpressionAsync<string[]>("Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)");

    /// <summary>Every link target of the page (absolute URLs).</summary>
    public static Task<string[]> LinksAsync(IPage page) =>
        page.EvaluateExpressionAsync<string[]>("Array.from(document.links).map(a => a.href)");

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        await _browser.DisposeAsync();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // the browser may still hold a lock file for a moment; the temp folder is cleaned eventually
        }
    }
}
