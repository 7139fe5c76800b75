using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using WeightWatcher.Cluster.Hosting;
using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A member's TLS folder (<see cref="ClusterTls.Load"/>): every wrong or missing file is refused before the
/// member starts, with the file named; the peer check accepts exactly the certificates the CA issued.
/// </summary>
public sealed class ClusterTlsFilesTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TestCertificateAuthority _ca = new("ww-test-ca");
    private readonly TestCertificateAuthority _otherCa = new("ww-other-ca");

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void A_folder_issued_by_the_CA_loads_with_the_key()
    {
        var tls = ClusterTls.Load(_ca.IssueFolder(_dir.Path, "node-a"));
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Equal("CN=node-a", tls.Certificate.Subject);
        Assert.Equal("CN=ww-test-ca", tls.AuthoritySubject);
    }

    [Fact]
    public void A_missing_folder_is_named()
    {
        var e = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(_dir.File("nowhere")));
        Assert.Contains(_dir.File("nowhere"), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ClusterTls.CertificateFile)]
    [InlineData(ClusterTls.KeyFile)]
    [InlineData(ClusterTls.AuthorityFile)]
    public void A_missing_file_is_named(string file)
    {
        string folder = _ca.IssueFolder(_dir.Path, "node-a");
        File.Delete(Path.Combine(folder, file));
        var e = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(folder));
        Assert.Equal($"TLS file {Path.Combine(folder, file)} ({Role(file)}) is missing", e.Message);
    }

    [Theory]
    [InlineData(ClusterTls.CertificateFile)]
    [InlineData(ClusterTls.KeyFile)]
    [InlineData(ClusterTls.AuthorityFile)]
    public void A_file_that_is_not_PEM_is_named(string file)
    {
        string folder = _ca.IssueFolder(_dir.Path, "node-a");
        File.WriteAllText(Path.Combine(folder, file), "not a PEM file\n");
        var e = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(folder));
        Assert.Contains(Path.Combine(folder, file), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_of_another_certificate_is_refused_naming_both_files()
    {
        string folder = _ca.IssueFolder(_dir.Path, "node-a");
        string other = _ca.IssueFolder(_dir.Path, "node-b");
        File.Copy(Path.Combine(other, ClusterTls.KeyFile), Path.Combine(folder, ClusterTls.KeyFile), overwrite: true);
        var e = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(folder));
        Assert.StartsWith($"TLS key {Path.Combine(folder, ClusterTls.KeyFile)} is not the private key of the certificate in {Path.Combine(folder, ClusterTls.CertificateFile)}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_encrypted_key_is_refused()
    {
        string folder = _ca.IssueFolder(_dir.Path, "node-a");
        using var key = RSA.Create(2048);
        File.WriteAllText(Path.Combine(folder, ClusterTls.KeyFile),
            key.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)));
        var e = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(folder));
        Assert.Contains("is encrypted", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_from_another_CA_than_ca_crt_is_refused_before_start()
    {
        string folder = _otherCa.IssueFolder(_dir.Path, "node-a");
        File.WriteAllText(Path.Combine(folder, ClusterTls.AuthorityFile), _ca.Certificate.ExportCertificatePem());
        var e = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(folder));
        Assert.StartsWith($"TLS certificate {Path.Combine(folder, ClusterTls.CertificateFile)} does not chain to the CA in {Path.Combine(folder, ClusterTls.AuthorityFile)}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_certificate_is_refused()
    {
        string folder = _ca.IssueFolder(_dir.Path, "node-a", notAfter: DateTimeOffset.UtcNow.AddHours(-1));
        var e = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(folder));
        Assert.Contains("not now", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_for_servers_only_is_refused()
    {
        string folder = _ca.IssueFolder(_dir.Path, "node-a", usages: [new Oid("1.3.6.1.5.5.7.3.1")]);
        var e = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(folder));
        Assert.Contains("both server and client authentication", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_peer_check_accepts_the_CA_s_certificates_only()
    {
        var tls = ClusterTls.Load(_ca.IssueFolder(_dir.Path, "node-a"));
        var validate = tls.PeerValidator();
        using var peer = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_ca.IssueFolder(_dir.Path, "node-b"), ClusterTls.CertificateFile));
        using var stranger = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_otherCa.IssueFolder(_dir.Path, "node-c"), ClusterTls.CertificateFile));
        // The system trust store knows neither CA: the transport's own verdict is a chain error for both.
        const SslPolicyErrors errors = SslPolicyErrors.RemoteCertificateChainErrors;
        Assert.True(validate(peer, null, "akka.ssl.tcp://weightwatcher@127.0.0.1:1", errors, NoLogger.Instance));
        Assert.False(validate(stranger, null, "akka.ssl.tcp://weightwatcher@127.0.0.1:2", errors, NoLogger.Instance));
        Assert.False(validate(null, null, "akka.ssl.tcp://weightwatcher@127.0.0.1:3", SslPolicyErrors.RemoteCertificateNotAvailable, NoLogger.Instance));
    }

    private static string Role(string file) => file switch
    {
        ClusterTls.CertificateFile => "the member's certificate",
        ClusterTls.KeyFile => "the member's private key",
        _ => "the CA's certificate",
    };
}
