using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// Azurite in its OAuth mode: HTTPS with a test certificate made here (self-signed for 127.0.0.1) and
/// <c>--oauth basic</c>, which accepts bearer tokens whose issuer, audience and lifetime are right (it does not
/// check their signature). Shared keys and SAS keep working beside them.
/// </summary>
public sealed class AzuriteOAuthFixture : AzuriteFixture
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ww-azurite-tls-").FullName;

    /// <summary>The test certificate Azurite serves.</summary>
    public X509Certificate2 Certificate { get; } = MakeCertificate();

    /// <summary>The certificate as a PEM file: SSL_CERT_FILE for a ww process that must trust it.</summary>
    public string CertificatePem => Path.Combine(_folder, "cert.pem");

    /// <inheritdoc />
    public override string Scheme => "https";

    /// <inheritdoc />
    public override ValueTask InitializeAsync()
    {
        File.WriteAllText(CertificatePem, Certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_folder, "key.pem"), Certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return base.InitializeAsync();
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Certificate.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <inheritdoc />
    protected override IEnumerable<string> ExtraArguments() =>
        ["--cert", CertificatePem, "--key", Path.Combine(_folder, "key.pem"), "--oauth", "basic"];

    /// <inheritdoc />
    protected override BlobClientOptions ClientOptions() => new()
    {
        // This process trusts exactly the test certificate.
        Transport = new HttpClientTransport(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == Certificate.Thumbprint,
        }),
    };

    private static X509Certificate2 MakeCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
