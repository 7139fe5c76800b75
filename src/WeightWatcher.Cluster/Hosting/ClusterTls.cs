using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace WeightWatcher.Cluster.Hosting;

/// <summary>
/// The TLS credentials of a cluster member, read from one folder in the layout of a Kubernetes TLS Secret
/// (and of cert-manager's): <c>tls.crt</c> (this member's certificate, PEM), <c>tls.key</c> (its private key,
/// PEM, unencrypted) and <c>ca.crt</c> (the certificate authority every member's certificate must chain to).
/// Each member presents its certificate to the peers it connects to and to those that connect to it (mutual
/// TLS), and accepts a peer only when the peer's certificate chains to that CA: the CA, not a host name,
/// decides who belongs to the cluster (pods are reached by DNS names, local members by IP address).
/// </summary>
public sealed class ClusterTls
{
    /// <summary>The member's certificate in the folder.</summary>
    public const string CertificateFile = "tls.crt";

    /// <summary>The member's private key in the folder.</summary>
    public const string KeyFile = "tls.key";

    /// <summary>The CA the peers' certificates must chain to, in the folder.</summary>
    public const string AuthorityFile = "ca.crt";

    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private readonly X509Certificate2Collection _roots;
    private readonly X509Certificate2Collection _intermediates;

    private ClusterTls(string folder, X509Certificate2 certificate, X509Certificate2Collection roots, X509Certificate2Collection intermediates)
    {
        Folder = folder;
        Certificate = certificate;
        _roots = roots;
        _intermediates = intermediates;
    }

    /// <summary>The folder the credentials were read from.</summary>
    public string Folder { get; }

    /// <summary>This member's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The subject of the CA the peers must chain to (its first root), for logs.</summary>
    public string AuthoritySubject => _roots[0].Subject;

    /// <summary>
    /// Reads and checks the three files of <paramref name="folder"/>. Everything that would otherwise fail
    /// later, on the first connection, fails here with the file named: a missing or unreadable file, a file
    /// with no PEM certificate or key, a key that is not the certificate's, a certificate out of date, one
    /// not allowed for both ends of a connection, or one that does not chain to the CA beside it.
    /// </summary>
    /// <exception cref="ClusterTlsException">One of the files is missing or wrong; the message names it.</exception>
    public static ClusterTls Load(string folder)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw new ClusterTlsException($"TLS folder {folder} does not exist (it must hold {CertificateFile}, {KeyFile} and {AuthorityFile})");
        }
        string certificatePath = Path.Combine(folder, CertificateFile);
        string keyPath = Path.Combine(folder, KeyFile);
        string authorityPath = Path.Combine(folder, AuthorityFile);

        var chain = Certificates(certificatePath, "the member's certificate");
        var certificate = WithKey(chain[0], certificatePath, keyPath);
        var (roots, intermediates) = Authorities(authorityPath);
        // Intermediates that came with the member's certificate help its own check below; peers find them in their ca.crt.
        var tls = new ClusterTls(folder, certificate, roots, [.. intermediates, .. chain.Skip(1)]);

        var now = DateTime.Now;
        if (certificate.NotAfter < now || certificate.NotBefore > now)
        {
            throw new ClusterTlsException($"TLS certificate {certificatePath} is valid from {certificate.NotBefore:u} to {certificate.NotAfter:u}, not now");
        }
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault()?.EnhancedKeyUsages;
        if (usages is not null && !(Allows(usages, ServerAuthentication) && Allows(usages, ClientAuthentication)))
        {
            throw new ClusterTlsException($"TLS certificate {certificatePath} must allow both server and client authentication (extended key usage): a member is both ends of its connections");
        }
        if (!tls.Chains(certificate, out string reason))
        {
            throw new ClusterTlsException($"TLS certificate {certificatePath} does not chain to the CA in {authorityPath}: {reason}");
        }
        return tls;
    }

    /// <summary>
    /// The check of a peer's certificate for Akka.Remote: it must be there and chain to this cluster's CA.
    /// The chain is built here against the CA alone (the system's trust store plays no part), without a
    /// revocation check (a private CA publishes no revocation list) and without a host-name check. A refusal
    /// is logged as a warning with the peer's address, the certificate's subject and issuer, and the reason.
    /// </summary>
    public CertificateValidationCallback PeerValidator() => (certificate, _, peer, _, log) =>
    {
        if (certificate is null)
        {
            log.Warning("TLS: refused peer {0}: it presented no certificate (this cluster requires one issued by {1})", peer, AuthoritySubject);
            return false;
        }
        if (Chains(certificate, out string reason))
        {
            return true;
        }
        log.Warning("TLS: refused peer {0}: its certificate {1} (issuer {2}) does not chain to this cluster's CA {3}: {4}",
            peer, certificate.Subject, certificate.Issuer, AuthoritySubject, reason);
        return false;
    };

    /// <summary>True when <paramref name="certificate"/> chains to the CA; else the reasons the chain gives.</summary>
    private bool Chains(X509Certificate2 certificate, out string reason)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.ExtraStore.AddRange(_intermediates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate))
        {
            reason = "";
            return true;
        }
        var statuses = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct().ToList();
        reason = statuses.Count > 0 ? string.Join("; ", statuses) : "no chain to the CA";
        return false;
    }

    private static bool Allows(OidCollection usages, Oid usage) =>
        usages.Cast<Oid>().Any(u => u.Value == usage.Value);

    /// <summary>The PEM certificates of <paramref name="path"/>, at least one.</summary>
    private static X509Certificate2Collection Certificates(string path, string what)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(Read(path, what));
        }
        catch (CryptographicException e)
        {
            throw new ClusterTlsException($"TLS file {path} ({what}) holds a PEM certificate that cannot be read: {e.Message}");
        }
        return certificates.Count > 0
            ? certificates
            : throw new ClusterTlsException($"TLS file {path} ({what}) holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }

    /// <summary>The CA's certificates: the self-signed ones are the roots, the others intermediates.</summary>
    private static (X509Certificate2Collection Roots, X509Certificate2Collection Intermediates) Authorities(string path)
    {
        var all = Certificates(path, "the CA's certificate");
        var roots = new X509Certificate2Collection();
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            (certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData) ? roots : intermediates).Add(certificate);
        }
        return roots.Count > 0
            ? (roots, intermediates)
            : throw new ClusterTlsException($"TLS file {path} (the CA's certificate) holds no self-signed root certificate");
    }

    /// <summary>
    /// The certificate with the private key of <paramref name="keyPath"/>, re-imported from PKCS#12 so that
    /// the key is a persisted one that every platform's TLS stack accepts.
    /// </summary>
    private static X509Certificate2 WithKey(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        string pem = Read(keyPath, "the member's private key");
        if (pem.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new ClusterTlsException($"TLS key {keyPath} is encrypted; give the key unencrypted (as a Kubernetes TLS Secret holds it)");
        }
        // Each half of the pair is checked on its own, so the error says which: a file that holds no key, or a key that is another certificate's.
        using AsymmetricAlgorithm key = certificate.GetKeyAlgorithm() switch
        {
            "1.2.840.113549.1.1.1" => RSA.Create(),
            "1.2.840.10045.2.1" => ECDsa.Create(),
            var other => throw new ClusterTlsException($"TLS certificate {certificatePath} has a key of algorithm {other}; RSA or ECDSA are supported"),
        };
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new ClusterTlsException($"TLS key {keyPath} holds no PEM private key of the certificate's kind ({(key is RSA ? "RSA" : "ECDSA")}): {e.Message}");
        }
        X509Certificate2 withKey;
        try
        {
            withKey = key is RSA rsa ? certificate.CopyWithPrivateKey(rsa) : certificate.CopyWithPrivateKey((ECDsa)key);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new ClusterTlsException($"TLS key {keyPath} is not the private key of the certificate in {certificatePath}: {e.Message}");
        }
        using (withKey)
        {
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }
    }

    private static string Read(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClusterTlsException(e is FileNotFoundException
                ? $"TLS file {path} ({what}) is missing"
                : $"TLS file {path} ({what}) cannot be read: {e.Message}");
        }
    }
}

/// <summary>A member's TLS files are missing or wrong (the message names the file): bad input, found before the member starts.</summary>
public sealed class ClusterTlsException(string message) : ArgumentException(message);
