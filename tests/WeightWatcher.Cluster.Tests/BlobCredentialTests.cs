using WeightWatcher.Cluster.Tests.Support;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// Credentials the way clusters have them, through a real <c>ww zoo run</c> against Azurite over HTTPS in its
/// OAuth mode: a container URI without a SAS authenticates with Azure.Identity's <c>DefaultAzureCredential</c>
/// (here its managed identity source, pointed at <see cref="TestIdentityEndpoint"/>, as workload and managed
/// identity are on AKS); connection strings and SAS keep working; a wrong token or no identity fails cleanly.
/// The ww processes trust the test certificate through SSL_CERT_FILE, as a pod trusts its CA bundle.
/// </summary>
public sealed class BlobCredentialTests(AzuriteOAuthFixture azurite) : IClassFixture<AzuriteOAuthFixture>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task A_uri_without_a_sas_uses_the_identity_and_connection_strings_and_sas_give_the_same_results()
    {
        var container = await UploadZooAsync();
        using var identity = new TestIdentityEndpoint();
        string uri = $"{azurite.AccountEndpoint}/{container.Name}";

        // 1. DefaultAzureCredential: no key, no SAS; the token comes from the identity endpoint.
        var token = Run(identity.Environment, "--store", uri, "--results", "by-token/");
        Assert.True(token.ExitCode == 0, $"token run: exit {token.ExitCode}\n{WwProcess.Tail(token.Stderr)}");
        Assert.Contains(identity.Requests, r => r.StartsWith("/msi/token", StringComparison.Ordinal) && r.Contains("storage.azure.com", StringComparison.Ordinal));

        // 2. The connection string (shared key), over the same HTTPS endpoint.
        var key = Run(new Dictionary<string, string> { [StoreFactory.ConnectionStringVariable] = azurite.ConnectionString }, "--store", "az://" + container.Name, "--results", "by-key/");
        Assert.True(key.ExitCode == 0, $"connection string run: exit {key.ExitCode}\n{WwProcess.Tail(key.Stderr)}");

        // 3. A container SAS in the URI.
        var sas = container.GenerateSasUri(Azure.Storage.Sas.BlobContainerSasPermissions.All, DateTimeOffset.UtcNow.AddHours(1));
        // Every log line ww and Akka write, so that the secret check below sees them all.
        var verbose = new Dictionary<string, string> { ["WW_LOG_LEVEL"] = "Debug", ["WW_AKKA_LOG_LEVEL"] = "DEBUG" };
        var bySas = Run(verbose, "--store", sas.AbsoluteUri, "--results", "by-sas/");
        Assert.True(bySas.ExitCode == 0, $"SAS run: exit {bySas.ExitCode}\n{WwProcess.Tail(bySas.Stderr)}");
        await AssertSecretNowhereAsync(sas, bySas.Stdout + bySas.Stderr, container, "by-sas/");

        string layers = await ReadAsync(container, "by-token/layers.csv");
        Assert.Equal(layers, await ReadAsync(container, "by-key/layers.csv"));
        Assert.Equal(layers, await ReadAsync(container, "by-sas/layers.csv"));
        Assert.Equal(TestZoo.GoodModels.Count + 1, layers.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')[0]).Distinct().Count());
        TestContext.Current.SendDiagnosticMessage($"identity endpoint served {identity.Requests.Count} token request(s): {string.Join(" ", identity.Requests.Distinct())}");
    }

    /// <summary>
    /// The SAS signature is a secret: it is in no output of the run and no file it wrote (manifest, tables,
    /// report pages), in either its URL-encoded or its plain form; the redacted URI is there instead.
    /// </summary>
    private static async Task AssertSecretNowhereAsync(Uri sas, string output, Azure.Storage.Blobs.BlobContainerClient container, string prefix)
    {
        string encoded = sas.Query.TrimStart('?').Split('&').Single(p => p.StartsWith("sig=", StringComparison.Ordinal))["sig=".Length..];
        string plain = Uri.UnescapeDataString(encoded);
        Assert.DoesNotContain(encoded, output, StringComparison.Ordinal);
        Assert.DoesNotContain(plain, output, StringComparison.Ordinal);
        Assert.Contains("sig=REDACTED", output, StringComparison.Ordinal);
        int files = 0;
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, TestContext.Current.CancellationToken))
        {
            string text = await ReadAsync(container, blob.Name);
            Assert.False(text.Contains(encoded, StringComparison.Ordinal) || text.Contains(plain, StringComparison.Ordinal), $"{blob.Name} holds the SAS signature");
            files++;
        }
        Assert.True(files > 5, $"only {files} result files under {prefix}");
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused()
    {
        var container = await UploadZooAsync();
        using var identity = new TestIdentityEndpoint(audience: "https://vault.azure.net");
        var run = Run(identity.Environment, "--store", $"{azurite.AccountEndpoint}/{container.Name}", "--results", "refused/");
        Assert.Equal(2, run.ExitCode);
        Assert.NotEmpty(identity.Requests);
        Assert.Contains("error:", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_identity_the_store_fails_with_one_error_naming_it()
    {
        azurite.EnsureRunning();
        var run = Run(null, "--store", $"{azurite.AccountEndpoint}/no-identity", "--results", "x/");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{azurite.AccountEndpoint}/no-identity", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_access_is_asked_for_by_name()
    {
        // A public container: no credential at all. Azurite's containers are private, so the request is refused
        // without any token being fetched.
        var container = await UploadZooAsync();
        using var identity = new TestIdentityEndpoint();
        var env = new Dictionary<string, string>(identity.Environment) { [StoreFactory.CredentialVariable] = "anonymous" };
        var run = Run(env, "--store", $"{azurite.AccountEndpoint}/{container.Name}", "--results", "anonymous/");
        Assert.Equal(2, run.ExitCode);
        Assert.Empty(identity.Requests);
    }

    private (int ExitCode, string Stdout, string Stderr) Run(IReadOnlyDictionary<string, string>? extra, params string[] args)
    {
        var env = new Dictionary<string, string>
        {
            // Only what the test gives: no connection string or credential from the machine running it.
            [StoreFactory.ConnectionStringVariable] = "",
            [StoreFactory.AzureConnectionStringVariable] = "",
            ["AZURE_CLIENT_ID"] = "",
            ["AZURE_TENANT_ID"] = "",
            ["AZURE_CLIENT_SECRET"] = "",
            ["AZURE_FEDERATED_TOKEN_FILE"] = "",
            ["SSL_CERT_FILE"] = azurite.CertificatePem,
            ["WW_LOG_LEVEL"] = "Warning",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }
        return WwProcess.Run(RunTimeout, env, ["zoo", "run", "--models", "models/", .. args]);
    }

    private async Task<Azure.Storage.Blobs.BlobContainerClient> UploadZooAsync()
    {
        var container = azurite.CreateContainerClient("cred" + Guid.NewGuid().ToString("N")[..8]);
        await container.CreateAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var local = new TempDir();
        TestZoo.Write(local.Path, withBadInput: false);
        string models = Path.Combine(local.Path, "models");
        foreach (var file in Directory.EnumerateFiles(models, "*", SearchOption.AllDirectories))
        {
            string path = "models/" + Path.GetRelativePath(models, file).Replace('\\', '/');
            await container.GetBlobClient(path).UploadAsync(file, TestContext.Current.CancellationToken);
        }
        return container;
    }

    private static async Task<string> ReadAsync(Azure.Storage.Blobs.BlobContainerClient container, string path) =>
        (await container.GetBlobClient(path).DownloadContentAsync(TestContext.Current.CancellationToken)).Value.Content.ToString();
}
