using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace WeightWatcher.Storage;

/// <summary>Opens a model store from the one-string specification used on command lines and in configuration.</summary>
public static class StoreFactory
{
    /// <summary>Environment variable read first for the connection string of "az://" specifications.</summary>
    public const string ConnectionStringVariable = "WW_BLOB_CONNECTION_STRING";

    /// <summary>The Azure SDK's conventional variable, read when <see cref="ConnectionStringVariable"/> is not set.</summary>
    public const string AzureConnectionStringVariable = "AZURE_STORAGE_CONNECTION_STRING";

    /// <summary>
    /// How a container URI without a SAS authenticates: <c>default</c> (unset): Azure.Identity's
    /// <see cref="DefaultAzureCredential"/> (workload identity, managed identity, environment, Azure CLI ...);
    /// <c>anonymous</c>: no credential, for a public container.
    /// </summary>
    public const string CredentialVariable = "WW_BLOB_CREDENTIAL";

    private const string AzureScheme = "az://";

    /// <summary>One per process, so every store of a node shares its token cache.</summary>
    private static readonly Lazy<DefaultAzureCredential> s_defaultCredential = new(() => new DefaultAzureCredential());

    /// <summary>
    /// Opens the store that <paramref name="spec"/> names:
    /// <list type="bullet">
    /// <item><description>"az://&lt;container&gt;": that container of the storage account whose connection string is in
    /// WW_BLOB_CONNECTION_STRING, else AZURE_STORAGE_CONNECTION_STRING;</description></item>
    /// <item><description>"http(s)://host/.../&lt;container&gt;[?sas]": the container at that URI, with the SAS token if one is
    /// given; without one, authenticated by <paramref name="credential"/>, else as <see cref="CredentialVariable"/> says
    /// (by default <see cref="DefaultAzureCredential"/>: workload or managed identity in a cluster);</description></item>
    /// <item><description>anything else: a local folder.</description></item>
    /// </list>
    /// </summary>
    /// <param name="spec">The store specification.</param>
    /// <param name="createIfMissing">Create the folder or container when it does not exist.</param>
    /// <param name="getEnvironment">Reads an environment variable; defaults to <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <param name="credential">Token credential for a container URI without a SAS (default: see <see cref="CredentialVariable"/>).</param>
    /// <exception cref="StoreException">The specification is malformed, no connection string is set, or the store cannot be opened.</exception>
    /// <param name="retryBudget">How long one blob request may go on failing transiently, retried, before it fails (default <see cref="DefaultRetryBudget"/>).</param>
    public static IModelStore Create(string spec, bool createIfMissing = false, Func<string, string?>? getEnvironment = null, TokenCredential? credential = null, TimeSpan? retryBudget = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec = spec.Trim();
        if (spec.Length == 0)
        {
            throw new StoreException(spec, "the store specification is empty");
        }
        getEnvironment ??= Environment.GetEnvironmentVariable;
        if (spec.StartsWith(AzureScheme, StringComparison.OrdinalIgnoreCase))
        {
            return CreateFromConnectionString(spec, createIfMissing, getEnvironment, retryBudget ?? DefaultRetryBudget);
        }
        if (IsContainerUri(spec))
        {
            return CreateFromUri(spec, createIfMissing, credential, getEnvironment, retryBudget ?? DefaultRetryBudget);
        }
        return new LocalFolderStore(spec, createIfMissing);
    }

    /// <summary>The default of <see cref="Create"/>'s retry budget: a store that cannot be reached fails well within a minute.</summary>
    public static readonly TimeSpan DefaultRetryBudget = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Client options for every blob client built here (see <see cref="AzureBlobStore.PinnedServiceVersion"/>):
    /// <see cref="BlobRetryPolicy"/>, which retries a transient failure until <paramref name="budget"/> has passed
    /// since the request's first try (the SDK's counted retries gave a refused connection 25 s and a silent host
    /// minutes by default; tuned to a budget, they gave up on a refused connection long before it), so a store
    /// that is gone fails with one error after about the budget, while one that is away for less is waited for.
    /// </summary>
    /// <param name="budget">The retry budget.</param>
    /// <param name="containerUri">The container the client works on: the retry warnings name it (redacted).</param>
    internal static BlobClientOptions ClientOptions(TimeSpan budget, Uri containerUri)
    {
        var options = new BlobClientOptions(AzureBlobStore.PinnedServiceVersion);
        var policy = new BlobRetryPolicy(budget, containerUri);
        options.RetryPolicy = policy;
        // The default of a try's network timeout (the policy sets each try's own, shortening the last).
        options.Retry.NetworkTimeout = policy.TryTimeout;
        return options;
    }

    private static AzureBlobStore CreateFromConnectionString(string spec, bool createIfMissing, Func<string, string?> getEnvironment, TimeSpan budget)
    {
        var container = spec[AzureScheme.Length..].TrimEnd('/');
        if (container.Length == 0 || container.Contains('/'))
        {
            throw new StoreException(spec, "expected az://<container> (a container name alone, no folder)");
        }
        var variable = ConnectionStringVariable;
        var connection = getEnvironment(variable);
        if (string.IsNullOrWhiteSpace(connection))
        {
            variable = AzureConnectionStringVariable;
            connection = getEnvironment(variable);
        }
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new StoreException(spec,
                $"no storage account: set {ConnectionStringVariable} (or {AzureConnectionStringVariable}) to the account's connection string");
        }
        BlobContainerClient client;
        try
        {
            // A client without options first, for the container's URI alone (no request is made).
            var uri = new BlobContainerClient(connection, container).Uri;
            client = new BlobContainerClient(connection, container, ClientOptions(budget, uri));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            // The SDK's message may quote the connection string, key included: keep it out of ours, and drop the inner exception.
            throw new StoreException(spec, $"the connection string in {variable} is not valid ({e.GetType().Name})");
        }
        return new AzureBlobStore(client, createIfMissing);
    }

    private static AzureBlobStore CreateFromUri(string spec, bool createIfMissing, TokenCredential? credential, Func<string, string?> getEnvironment, TimeSpan budget)
    {
        if (!Uri.TryCreate(spec, UriKind.Absolute, out var uri) || uri.AbsolutePath.Trim('/').Length == 0)
        {
            throw new StoreException(RedactedSpec(spec), "expected http(s)://host/.../<container>[?sas]");
        }
        BlobContainerClient client;
        try
        {
            // A SAS is a credential of its own; the token credential is for a URI without one.
            credential = HasSas(uri) ? null : credential ?? CredentialFromEnvironment(RedactedSpec(spec), getEnvironment);
            var options = ClientOptions(budget, uri);
            client = credential is null ? new BlobContainerClient(uri, options) : new BlobContainerClient(uri, credential, options);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            // As above: the SDK's message may repeat the URI, signature included.
            throw new StoreException(RedactedSpec(spec), $"not a blob container URI ({e.GetType().Name})");
        }
        return new AzureBlobStore(client, createIfMissing);
    }

    /// <summary>A SAS token always carries its signature (<c>sig</c>).</summary>
    private static bool HasSas(Uri uri) =>
        uri.Query.TrimStart('?').Split('&').Any(p => p.StartsWith("sig=", StringComparison.OrdinalIgnoreCase));

    /// <summary>The credential <see cref="CredentialVariable"/> names; null for anonymous access.</summary>
    private static TokenCredential? CredentialFromEnvironment(string spec, Func<string, string?> getEnvironment) =>
        getEnvironment(CredentialVariable)?.Trim().ToLowerInvariant() switch
        {
            null or "" or "default" => s_defaultCredential.Value,
            "anonymous" => null,
            var other => throw new StoreException(spec, $"{CredentialVariable}={other} is not a credential ww knows: default (DefaultAzureCredential) or anonymous"),
        };

    private static string RedactedSpec(string spec) =>
        Uri.TryCreate(spec, UriKind.Absolute, out var uri) ? AzureBlobStore.RedactSignature(uri) : "(unparseable URI)";

    /// <summary>
    /// A store spec as it may be shown (logs, job status, errors): a container URI's SAS signature replaced
    /// by <c>REDACTED</c>; other specs (az://container, local folders) carry no secret and are unchanged.
    /// </summary>
    public static string Redact(string spec) => IsContainerUri(spec) ? RedactedSpec(spec) : spec;

    private static bool IsContainerUri(string spec) =>
        spec.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || spec.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
