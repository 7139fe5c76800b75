using System.Net;
using System.Text;
using Serilog;
using WeightWatcher.Cluster.Workers;

namespace WeightWatcher.Cluster.Hosting;

/// <summary>
/// The HTTP side of a node, for Kubernetes and Prometheus: <c>GET /alive</c> (200 while the process
/// serves), <c>GET /ready</c> (200 once the node has joined, else 503 with the reason; see
/// <see cref="NodeHealth"/>) and <c>GET /metrics</c> (<see cref="NodeMetrics"/> in Prometheus' text format).
/// A small <see cref="HttpListener"/>: no web framework in the image.
/// </summary>
public sealed class NodeHttpEndpoint : IDisposable
{
    private static readonly ILogger s_log = Log.ForContext<NodeHttpEndpoint>();
    private readonly HttpListener _listener = new();
    private readonly Func<CancellationToken, Task<NodeReadiness>> _readiness;
    private readonly NodeMetrics _metrics;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private string _lastReadiness = "";

    private NodeHttpEndpoint(IReadOnlyList<string> prefixes, Func<CancellationToken, Task<NodeReadiness>> readiness, NodeMetrics metrics)
    {
        _readiness = readiness;
        _metrics = metrics;
        Prefix = prefixes[0];
        foreach (var prefix in prefixes)
        {
            _listener.Prefixes.Add(prefix);
        }
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The listener's prefix, e.g. <c>http://+:8080/</c>.</summary>
    public string Prefix { get; }

    /// <summary>
    /// Starts serving on <paramref name="port"/> of <paramref name="hostname"/> (0.0.0.0: every interface).
    /// </summary>
    /// <exception cref="HttpListenerException">The port cannot be bound.</exception>
    public static NodeHttpEndpoint Start(string hostname, int port, Func<CancellationToken, Task<NodeReadiness>> readiness, NodeMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(readiness);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        // HttpListener matches the request's Host header against its prefixes: a loopback member answers
        // both of loopback's names; 0.0.0.0 (a container) answers any.
        string[] hosts = hostname switch
        {
            "0.0.0.0" or "::" or "*" or "+" => ["+"],
            "127.0.0.1" or "localhost" => ["127.0.0.1", "localhost"],
            _ => [hostname],
        };
        var endpoint = new NodeHttpEndpoint(hosts.Select(h => $"http://{h}:{port}/").ToList(), readiness, metrics);
        s_log.Information("Node HTTP endpoint on {Prefix}: /alive, /ready, /metrics", endpoint.Prefix);
        return endpoint;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _stop.Cancel();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // closed
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            string path = context.Request.Url?.AbsolutePath ?? "/";
            if (context.Request.HttpMethod is not ("GET" or "HEAD"))
            {
                await WriteTextAsync(response, 405, "GET only\n").ConfigureAwait(false);
                return;
            }
            switch (path)
            {
                case "/alive":
                    await WriteTextAsync(response, 200, "alive\n").ConfigureAwait(false);
                    break;
                case "/ready":
                    var readiness = await _readiness(_stop.Token).ConfigureAwait(false);
                    NoteChange(readiness);
                    await WriteTextAsync(response, readiness.Ready ? 200 : 503, (readiness.Ready ? "ready: " : "not ready: ") + readiness.Detail + "\n").ConfigureAwait(false);
                    break;
                case "/metrics":
                    response.StatusCode = 200;
                    response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                    await _metrics.ExportAsync(response.OutputStream, _stop.Token).ConfigureAwait(false);
                    break;
                default:
                    await WriteTextAsync(response, 404, "not found: /alive, /ready, /metrics\n").ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or the endpoint is stopping.
        }
        catch (Exception e)
        {
            s_log.Warning(e, "Node HTTP endpoint: {Path} failed", context.Request.Url?.AbsolutePath);
            TrySetStatus(response, 500);
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }

    /// <summary>Logs readiness when it changes (probes come every few seconds; the log gets the transitions).</summary>
    private void NoteChange(NodeReadiness readiness)
    {
        string state = readiness.Ready ? "ready" : readiness.Detail;
        if (Interlocked.Exchange(ref _lastReadiness, state) != state)
        {
            s_log.Information("Node readiness: {Ready} ({Detail})", readiness.Ready, readiness.Detail);
        }
    }

    private static async Task WriteTextAsync(HttpListenerResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }

    private static void TrySetStatus(HttpListenerResponse response, int status)
    {
        try
        {
            response.StatusCode = status;
        }
        catch (InvalidOperationException)
        {
            // Headers already sent.
        }
    }
}
