using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using WeightWatcher.Cluster.Hosting;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// A certificate authority made in the test with <see cref="CertificateRequest"/> (RSA 2048, as Helm's
/// genCA makes), and the member certificates it issues, written as PEM files in the layout of a Kubernetes
/// TLS Secret: <c>tls.crt</c>, <c>tls.key</c>, <c>ca.crt</c>.
/// </summary>
internal sealed class TestCertificateAuthority : IDisposable
{
    private static readonly OidCollection MemberUsages = [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")];

    private readonly RSA _key = RSA.Create(2048);

    /// <summary>A self-signed CA named <paramref name="name"/>, valid from a week ago for a year.</summary>
    public TestCertificateAuthority(string name)
    {
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-7), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>The CA's certificate (with its key).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>
    /// Writes a member's folder under <paramref name="root"/>: a certificate for <paramref name="member"/>
    /// (SAN 127.0.0.1 and localhost) issued by this CA, its key and this CA's certificate. Returns the folder.
    /// </summary>
    /// <param name="root">The folder to write the member's folder in.</param>
    /// <param name="member">The member's name: the folder's and the certificate's common name.</param>
    /// <param name="notAfter">The certificate's end of validity (default: 30 days from now, within the CA's).</param>
    /// <param name="usages">Its extended key usages (default: server and client authentication).</param>
    public string IssueFolder(string root, string member, DateTimeOffset? notAfter = null, OidCollection? usages = null)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={member}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages ?? MemberUsages, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var end = notAfter ?? DateTimeOffset.UtcNow.AddDays(30);
        using var issued = request.Create(Certificate, end.AddDays(-1) < DateTimeOffset.UtcNow ? end.AddDays(-1) : DateTimeOffset.UtcNow.AddDays(-1), end, RandomNumberGenerator.GetBytes(16));

        string folder = Path.Combine(root, member);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ClusterTls.CertificateFile), issued.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, ClusterTls.KeyFile), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(folder, ClusterTls.AuthorityFile), Certificate.ExportCertificatePem());
        return folder;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}
