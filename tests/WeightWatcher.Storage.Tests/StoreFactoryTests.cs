using Azure.Storage.Sas;
using WeightWatcher.Storage.Tests.Support;

namespace WeightWatcher.Storage.Tests;

/// <summary>The one-string store specifications, and that no form leaks a secret into <see cref="IModelStore.Description"/>.</summary>
public sealed class StoreFactoryTests(AzuriteFixture azurite) : IDisposable
{
    private const string SecretKey = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=";
    private readonly TempDir _temp = new();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static string ConnectionString(int port, string key = SecretKey) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";

    [Fact]
    public void A_folder_path_opens_a_local_folder_store()
    {
        var folder = _temp.File("models");
        Assert.Throws<StoreException>(() => StoreFactory.Create(folder));

        using var store = StoreFactory.Create(folder, createIfMissing: true);
        Assert.IsType<LocalFolderStore>(store);
        Assert.Equal(folder, store.LocalRoot);
        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public void Az_reads_the_ww_connection_string_first_then_the_azure_one()
    {
        using var both = StoreFactory.Create("az://models", getEnvironment: Environment(
            (StoreFactory.ConnectionStringVariable, ConnectionString(1111)),
            (StoreFactory.AzureConnectionStringVariable, ConnectionString(2222))));
        Assert.IsType<AzureBlobStore>(both);
        Assert.Null(both.LocalRoot);
        Assert.Equal("http://127.0.0.1:1111/devstoreaccount1/models", both.Description);

        using var azureOnly = StoreFactory.Create("az://models/", getEnvironment: Environment(
            (StoreFactory.AzureConnectionStringVariable, ConnectionString(2222))));
        Assert.Equal("http://127.0.0.1:2222/devstoreaccount1/models", azureOnly.Description);
        Assert.DoesNotContain(SecretKey, azureOnly.Description);
    }

    [Fact]
    public void Az_without_a_connection_string_says_which_variables_to_set()
    {
        var error = Assert.Throws<StoreException>(() => StoreFactory.Create("az://models", getEnvironment: _ => null));
        Assert.Contains(StoreFactory.ConnectionStringVariable, error.Message);
        Assert.Contains(StoreFactory.AzureConnectionStringVariable, error.Message);
        Assert.Equal("az://models", error.StorePath);
    }

    [Theory]
    [InlineData("az://")]
    [InlineData("az://models/sub/folder")]
    [InlineData("https://account.blob.core.windows.net/")]
    public void Malformed_blob_specifications_are_refused(string spec)
    {
        Assert.Throws<StoreException>(() => StoreFactory.Create(spec, getEnvironment: Environment((StoreFactory.ConnectionStringVariable, ConnectionString(1)))));
    }

    [Fact]
    public void An_invalid_connection_string_is_reported_without_repeating_it()
    {
        var bad = $"AccountKey={SecretKey};NoEndpointHere";
        var error = Assert.Throws<StoreException>(() => StoreFactory.Create("az://models", getEnvironment: Environment((StoreFactory.ConnectionStringVariable, bad))));
        Assert.DoesNotContain(SecretKey, error.ToString());
        Assert.Contains(StoreFactory.ConnectionStringVariable, error.Message);
    }

    [Fact]
    public void A_uri_without_a_sas_takes_the_credential_the_variable_names()
    {
        const string uri = "https://zoo.blob.core.windows.net/models";
        // Default: DefaultAzureCredential (nothing is requested until the store is used); anonymous on request.
        using var byDefault = StoreFactory.Create(uri, getEnvironment: Environment());
        using var anonymous = StoreFactory.Create(uri, getEnvironment: Environment((StoreFactory.CredentialVariable, "anonymous")));
        Assert.Equal(uri, byDefault.Description);
        var error = Assert.Throws<StoreException>(() => StoreFactory.Create(uri, getEnvironment: Environment((StoreFactory.CredentialVariable, "kerberos"))));
        Assert.Contains(StoreFactory.CredentialVariable, error.Message);
        Assert.Contains("kerberos", error.Message);
    }

    [Fact]
    public void A_sas_connection_string_or_uri_never_shows_its_signature()
    {
        const string signature = "c2lnbmF0dXJlLXZhbHVl%3D";
        using var fromConnection = StoreFactory.Create("az://models", getEnvironment: Environment((StoreFactory.ConnectionStringVariable,
            $"BlobEndpoint=http://127.0.0.1:3333/devstoreaccount1;SharedAccessSignature=sv=2026-06-06&sp=rl&se=2030-01-01T00%3A00%3A00Z&sig={signature}")));
        Assert.DoesNotContain(signature, fromConnection.Description);

        using var fromUri = StoreFactory.Create($"https://account.blob.core.windows.net/models?sv=2026-06-06&sp=rl&sig={signature}&se=2030-01-01");
        Assert.Equal("https://account.blob.core.windows.net/models?sv=2026-06-06&sp=rl&sig=REDACTED&se=2030-01-01", fromUri.Description);
    }

    [Fact]
    public async Task Az_with_createIfMissing_creates_the_container_and_works_end_to_end()
    {
        var container = TestData.UniqueContainerName("factory");
        azurite.EnsureRunning();
        using var store = StoreFactory.Create($"az://{container}", createIfMissing: true,
            getEnvironment: Environment((StoreFactory.AzureConnectionStringVariable, azurite.ConnectionString)));

        await store.WriteAsync("x/y.bin", new byte[] { 1, 2 }, Cancellation);
        Assert.Equal(new byte[] { 1, 2 }, await store.ReadAllAsync("x/y.bin"));
        Assert.True(await azurite.CreateContainerClient(container).ExistsAsync(Cancellation));
        Assert.DoesNotContain(AzuriteFixture.AccountKey, store.Description);
    }

    [Fact]
    public async Task A_container_sas_uri_opens_a_working_store_whose_description_redacts_the_signature()
    {
        var container = azurite.CreateContainerClient(TestData.UniqueContainerName("sas"));
        await container.CreateAsync(cancellationToken: Cancellation);
        var sas = container.GenerateSasUri(BlobContainerSasPermissions.All, DateTimeOffset.UtcNow.AddHours(1));
        var signature = System.Web.HttpUtility.ParseQueryString(sas.Query)["sig"]!;

        using var store = StoreFactory.Create(sas.AbsoluteUri);
        await store.WriteAsync("m/a.bin", new byte[] { 9 }, Cancellation);
        Assert.Equal(["m/a.bin"], (await store.ListAllAsync()).Select(o => o.Path));
        Assert.Equal(new byte[] { 9 }, await store.ReadAllAsync("m/a.bin"));

        Assert.Contains("sig=REDACTED", store.Description);
        Assert.DoesNotContain(signature, store.Description);
        Assert.DoesNotContain(Uri.EscapeDataString(signature), store.Description);
        var missing = await Assert.ThrowsAsync<StoreException>(() => store.OpenReadAsync("m/none", Cancellation));
        Assert.DoesNotContain(Uri.EscapeDataString(signature), missing.Message);
    }
}
