using System.Net;
using System.Text;
using System.Text.Json;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// A stand-in for the managed identity endpoint a pod or App Service host offers (IDENTITY_ENDPOINT and
/// IDENTITY_HEADER): Azure.Identity's <c>DefaultAzureCredential</c> in a real <c>ww</c> process asks it for a
/// token and gets a test JWT with the issuer, audience and lifetime Azurite's OAuth mode checks.
/// </summary>
public sealed class TestIdentityEndpoint : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _audience;
    private readonly List<string> _requests = [];

    /// <summary>Listens on a free loopback port; tokens name <paramref name="audience"/>.</summary>
    public TestIdentityEndpoint(string audience = "https://storage.azure.com")
    {
        _audience = audience;
        Port = FreePorts.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    /// <summary>Loopback port.</summary>
    public int Port { get; }

    /// <summary>The secret a client must send in X-IDENTITY-HEADER.</summary>
    public string Secret { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The requests served so far (path and query).</summary>
    public IReadOnlyList<string> Requests { get { lock (_requests) { return [.. _requests]; } } }

    /// <summary>The variables that point Azure.Identity's managed identity credential here.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["IDENTITY_ENDPOINT"] = $"http://127.0.0.1:{Port}/msi/token",
        ["IDENTITY_HEADER"] = Secret,
    };

    /// <inheritdoc />
    public void Dispose() => _listener.Close();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            lock (_requests)
            {
                _requests.Add(context.Request.Url!.PathAndQuery);
            }
            var response = context.Response;
            if (context.Request.Headers["X-IDENTITY-HEADER"] != Secret)
            {
                response.StatusCode = 401;
                response.Close();
                continue;
            }
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            string token = Jwt(new { aud = _audience, iss = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/", iat = now - 60, nbf = now - 60, exp = now + 3600, oid = Guid.NewGuid(), sub = "ww-test" });
            byte[] body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
            {
                ["access_token"] = token,
                ["expires_on"] = (now + 3600).ToString(),
                ["resource"] = context.Request.QueryString["resource"] ?? "",
                ["token_type"] = "Bearer",
                ["client_id"] = "00000000-0000-0000-0000-000000000000",
            });
            response.ContentType = "application/json";
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body);
            response.Close();
        }
    }

    private static string Jwt(object payload) =>
        $"{Base64Url(Encoding.UTF8.GetBytes("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"))}.{Base64Url(JsonSerializer.SerializeToUtf8Bytes(payload))}.{Base64Url(Encoding.UTF8.GetBytes("not-signed"))}";

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
