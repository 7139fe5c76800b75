using System.Diagnostics;
using System.Globalization;
using WeightWatcher.Cluster.Hosting;
using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A closed cluster: real <c>ww node</c> and <c>ww zoo run</c> processes on 127.0.0.1 over mutual TLS, with a
/// CA and member certificates made in the test (<see cref="TestCertificateAuthority"/>). Members whose
/// certificates the CA issued form a cluster and run a job; a member with a certificate from another CA,
/// and a member on plain TCP, never join it, and the refusal is in the logs.
/// </summary>
public sealed class TlsClusterTests : IDisposable
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromMinutes(2);

    private readonly TempDir _dir = new();
    private readonly TestCertificateAuthority _ca = new("ww-cluster-ca");
    private readonly List<WwProcess> _processes = [];

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }
        _ca.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Members_with_certificates_from_the_cluster_CA_form_a_cluster_and_run_a_job()
    {
        string zoo = _dir.File("zoo");
        TestZoo.WriteGenerated(zoo);
        int[] ports = [FreePorts.Next(), FreePorts.Next(), FreePorts.Next()];
        string seeds = $"127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}";
        var first = StartNode(ports[0], seeds, _ca.IssueFolder(_dir.Path, "node-1"));
        WaitFor(() => first.Stderr.Contains("forming a new cluster", StringComparison.Ordinal), "node 1 to form the cluster", first);
        var second = StartNode(ports[1], seeds, _ca.IssueFolder(_dir.Path, "node-2"));
        WaitFor(() => second.Stderr.Contains("Welcome from", StringComparison.Ordinal), "node 2 to join", first, second);

        // The submitter takes its folder from the variable, as a pod does.
        string results = _dir.File("results");
        var clock = Stopwatch.StartNew();
        var run = WwProcess.Run(JobTimeout, new Dictionary<string, string> { ["WW_TLS_DIR"] = _ca.IssueFolder(_dir.Path, "submitter") },
            "zoo", "run", "--store", zoo, "--result-store", results, "--seeds", seeds, "--port", Port(ports[2]), "--min-workers", "2", "--no-html");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Stdout}\n{WwProcess.Tail(run.Stderr)}");

        var manifest = ResultFiles.Manifest(Path.Combine(results, "results"));
        Assert.Equal(3, manifest.Models.Count);
        Assert.Equal(9, manifest.Counts.LayersAnalyzed);
        Assert.Equal(0, manifest.Counts.LayersFailed);
        foreach (string log in new[] { first.Stderr, second.Stderr, run.Stderr })
        {
            Assert.Contains("Akka.Remote over mutual TLS", log, StringComparison.Ordinal);
            Assert.DoesNotContain("is plain TCP", log, StringComparison.Ordinal);
        }
        Assert.Contains($"akka.ssl.tcp://{ZooClusterOptions.SystemName}@127.0.0.1:{ports[0]}", second.Stderr, StringComparison.Ordinal);
        TestContext.Current.SendDiagnosticMessage($"TLS cluster: job of {manifest.Counts.Layers} layers in {manifest.Timings.Total:F1} s (submitter process {clock.Elapsed.TotalSeconds:F1} s)");
    }

    [Fact]
    public void A_member_with_a_certificate_from_another_CA_never_joins_and_cannot_submit_a_job()
    {
        int[] ports = [FreePorts.Next(), FreePorts.Next(), FreePorts.Next()];
        string seed = $"127.0.0.1:{ports[0]}";
        var member = StartNode(ports[0], seed, _ca.IssueFolder(_dir.Path, "node-1"));
        WaitFor(() => member.Stderr.Contains("forming a new cluster", StringComparison.Ordinal), "node 1 to form the cluster", member);

        using var otherCa = new TestCertificateAuthority("ww-other-ca");
        var intruder = StartNode(ports[1], seed, otherCa.IssueFolder(_dir.Path, "intruder"));
        // Akka.Remote shuts a member down when the TLS handshake of a connection it opened fails: ww says why.
        int exit = intruder.WaitForExit(JoinTimeout);
        Assert.True(exit == 2, $"exit {exit}\n{WwProcess.Tail(intruder.Stderr)}");
        var error = Assert.Single(intruder.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("TLS handshake failed", error, StringComparison.Ordinal);
        // The intruder checks the member's certificate first, against its own CA, and refuses it.
        LogHas(intruder, $"TLS: refused peer ssl.tcp://{ZooClusterOptions.SystemName}@{seed}: its certificate CN=node-1 (issuer CN=ww-cluster-ca) does not chain to this cluster's CA CN=ww-other-ca");
        Assert.DoesNotContain("Welcome from", intruder.Stderr, StringComparison.Ordinal);
        WaitFor(() => member.Stderr.Contains("Rejected incoming connection", StringComparison.Ordinal), "the member to log the refused connection", member);
        Assert.DoesNotContain($"@127.0.0.1:{ports[1]}] is JOINING", member.Stderr, StringComparison.Ordinal);

        string zoo = _dir.File("zoo");
        TestZoo.WriteGenerated(zoo);
        string results = _dir.File("results");
        var submit = WwProcess.Run(JobTimeout, new Dictionary<string, string> { ["WW_TLS_DIR"] = otherCa.IssueFolder(_dir.Path, "intruding-submitter") },
            "zoo", "run", "--store", zoo, "--result-store", results, "--seeds", seed, "--port", Port(ports[2]), "--no-html");
        Assert.True(submit.ExitCode == 2, $"exit {submit.ExitCode}\n{WwProcess.Tail(submit.Stderr)}");
        Assert.Contains("not run: this cluster member stopped: TLS handshake failed", submit.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(results, "results", "manifest.json")), "a manifest was written");
        Assert.DoesNotContain($"@127.0.0.1:{ports[2]}] is JOINING", member.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("planning models", member.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_member_on_plain_TCP_never_joins_a_TLS_cluster()
    {
        int[] ports = [FreePorts.Next(), FreePorts.Next()];
        string seed = $"127.0.0.1:{ports[0]}";
        var member = StartNode(ports[0], seed, _ca.IssueFolder(_dir.Path, "node-1"));
        WaitFor(() => member.Stderr.Contains("forming a new cluster", StringComparison.Ordinal), "node 1 to form the cluster", member);

        var plain = StartNode(ports[1], seed, tlsFolder: null);
        // A plain member is not shut down: it keeps asking the seed, whose TLS end refuses each connection.
        WaitFor(() => member.Stderr.Contains("Rejected incoming connection", StringComparison.Ordinal)
            && plain.Stderr.Contains("Couldn't join seed nodes after", StringComparison.Ordinal), "a refused join round", member, plain);
        Assert.Contains("Akka.Remote on 127.0.0.1:" + Port(ports[1]) + " is plain TCP: any peer that reaches the port can join", plain.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Welcome from", plain.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain($"@127.0.0.1:{ports[1]}] is JOINING", member.Stderr, StringComparison.Ordinal);
        Assert.False(plain.HasExited, WwProcess.Tail(plain.Stderr));
    }

    [Fact]
    public void A_missing_TLS_file_is_one_error_naming_it_before_joining()
    {
        string folder = _ca.IssueFolder(_dir.Path, "node-1");
        File.Delete(Path.Combine(folder, ClusterTls.KeyFile));
        int port = FreePorts.Next();
        var run = WwProcess.Run(JoinTimeout, null, "node", "--port", Port(port), "--seeds", $"127.0.0.1:{port}", "--tls-dir", folder);
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}\n{run.Stderr}");
        var error = Assert.Single(run.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Equal($"error: TLS file {Path.Combine(folder, ClusterTls.KeyFile)} (the member's private key) is missing", error.TrimEnd());
        Assert.DoesNotContain("Starting cluster member", run.Stderr, StringComparison.Ordinal);
    }

    private WwProcess StartNode(int port, string seeds, string? tlsFolder)
    {
        // Akka's membership events (INFO) tell the test when the cluster has formed and who joined.
        string[] tls = tlsFolder is null ? [] : ["--tls-dir", tlsFolder];
        var node = WwProcess.Start(new Dictionary<string, string> { ["WW_AKKA_LOG_LEVEL"] = "INFO" },
            ["node", "--port", Port(port), "--seeds", seeds, "--parallel", "1", "--min-workers", "1", .. tls]);
        _processes.Add(node);
        return node;
    }

    private static void LogHas(WwProcess process, string text) =>
        Assert.True(process.Stderr.Contains(text, StringComparison.Ordinal), $"not in the log: {text}\n{WwProcess.Tail(process.Stderr)}");

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static void WaitFor(Func<bool> condition, string what, params WwProcess[] processes)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > JoinTimeout)
            {
                Assert.Fail($"timed out waiting for {what}\n" + string.Join("\n----\n", processes.Select(p => WwProcess.Tail(p.Stderr, 30))));
            }
            Thread.Sleep(200);
        }
    }
}
