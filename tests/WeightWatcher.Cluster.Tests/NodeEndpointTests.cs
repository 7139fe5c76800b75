using System.Diagnostics;
using System.Globalization;
using System.Net;
using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// <c>ww node --http-port</c> over real processes: <c>/alive</c> answers as soon as the process serves,
/// <c>/ready</c> only once the member has joined (Up, its shard region registered), and <c>/metrics</c>
/// counts the layers each node analyzed, in Prometheus' text format.
/// </summary>
public sealed class NodeEndpointTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public void Ready_means_joined_and_the_metrics_count_what_each_node_analyzed()
    {
        using var zoo = new TempDir();
        TestZoo.Write(zoo.Path, withBadInput: false);
        int[] akka = [FreePorts.Next(), FreePorts.Next(), FreePorts.Next()];
        int[] http = [FreePorts.Next(), FreePorts.Next()];
        string seeds = $"127.0.0.1:{akka[0]},127.0.0.1:{akka[1]}";

        // The second seed alone: it never forms a cluster itself (only the first seed does), so it is alive, not ready.
        using var second = StartNode(akka[1], http[1], seeds);
        WaitFor(() => Get(http[1], "/alive").Status == HttpStatusCode.OK, "the second seed to serve /alive", second);
        Thread.Sleep(TimeSpan.FromSeconds(3));
        var lonely = Get(http[1], "/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, lonely.Status);
        Assert.StartsWith("not ready: member ", lonely.Body);
        Assert.Equal(HttpStatusCode.NotFound, Get(http[1], "/nothing").Status);

        using var first = StartNode(akka[0], http[0], seeds);
        var clock = Stopwatch.StartNew();
        WaitFor(() => Get(http[0], "/ready").Status == HttpStatusCode.OK && Get(http[1], "/ready").Status == HttpStatusCode.OK, "both nodes to be ready", first, second);
        double ready = clock.Elapsed.TotalSeconds;
        Assert.Contains("shard region registered", Get(http[1], "/ready").Body);

        var run = WwProcess.Run(TimeSpan.FromMinutes(4), null, "zoo", "run", "--store", zoo.Path, "--models", "models/", "--seeds", seeds, "--port", akka[2].ToString(CultureInfo.InvariantCulture), "--min-workers", "2");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{WwProcess.Tail(run.Stderr)}");
        var manifest = ResultFiles.Manifest(Path.Combine(zoo.Path, "results"));

        var metrics = http.Select(port => Get(port, "/metrics").Body).ToList();
        Assert.All(metrics, m => Assert.Contains("# TYPE ww_layers_analyzed_total counter", m));
        Assert.Equal(manifest.Counts.LayersAnalyzed, metrics.Sum(m => Value(m, "ww_layers_analyzed_total")));
        Assert.Equal(manifest.Counts.LayersAnalyzed, metrics.Sum(m => Value(m, "ww_layer_duration_seconds_count")));
        Assert.All(metrics, m => Assert.Equal(0, Value(m, "ww_layers_in_flight")));
        Assert.All(metrics, m => Assert.Equal(0, Value(m, "ww_layers_failed_total")));
        TestContext.Current.SendDiagnosticMessage(FormattableString.Invariant(
            $"both ready {ready:F1} s after the first seed started; layers analyzed per node: {string.Join(", ", metrics.Select(m => Value(m, "ww_layers_analyzed_total")))} of {manifest.Counts.LayersAnalyzed}"));
    }

    private static WwProcess StartNode(int port, int httpPort, string seeds) =>
        WwProcess.Start(null, "node", "--port", port.ToString(CultureInfo.InvariantCulture), "--seeds", seeds, "--http-port", httpPort.ToString(CultureInfo.InvariantCulture), "--parallel", "1", "--min-workers", "2");

    private static (HttpStatusCode Status, string Body) Get(int port, string path)
    {
        try
        {
            using var response = Http.GetAsync($"http://127.0.0.1:{port}{path}").GetAwaiter().GetResult();
            return (response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, e.Message);
        }
    }

    private static double Value(string metrics, string name) =>
        double.Parse(metrics.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..], CultureInfo.InvariantCulture);

    private static void WaitFor(Func<bool> condition, string what, params WwProcess[] nodes)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(90))
            {
                Assert.Fail($"timed out waiting for {what}\n" + string.Join("\n----\n", nodes.Select(n => WwProcess.Tail(n.Stderr, 30))));
            }
            Thread.Sleep(200);
        }
    }
}
