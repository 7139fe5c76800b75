using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace WeightWatcher.Storage.Tests;

/// <summary>
/// A blob store that is gone (connection refused) or silent (accepts, never answers) is tried for its whole
/// retry budget (an outage shorter than that is waited for: <see cref="BlobRetryPolicyTests"/>) and then fails
/// with one error naming the store, the tries and the transport error, marked as the store being unavailable,
/// never showing the SAS. No Azurite: the point is that there is nothing there.
/// </summary>
public sealed class UnreachableStoreTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(4);

    private static (StoreException Error, TimeSpan Took) Open(int port)
    {
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<StoreException>(() => StoreFactory.Create($"http://127.0.0.1:{port}/devstoreaccount1/zoo?sv=2025-01-05&sig=SECRETSIGNATURE", createIfMissing: true, retryBudget: Budget));
        return (e, clock.Elapsed);
    }

    private static void AssertOneClearError(StoreException e, int port)
    {
        Assert.StartsWith($"http://127.0.0.1:{port}/devstoreaccount1/zoo?sv=2025-01-05&sig=REDACTED: ", e.Message, StringComparison.Ordinal);
        Assert.Matches(@": the container cannot be created: no answer from the blob service after \d+ tries \(", e.Message);
        Assert.True(e.Unavailable, "an unreachable store is reported as unavailable, not as a bad object");
        Assert.DoesNotContain("SECRETSIGNATURE", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_connection_fails_within_the_retry_budget()
    {
        int port = FreePorts.Next();
        var (e, took) = Open(port);
        AssertOneClearError(e, port);
        Assert.Contains("Connection refused", e.Message, StringComparison.Ordinal);
        // Bounds, not a speed figure: the SDK's own defaults took 25 s here, and a counted policy tuned to the
        // budget gave up after 0.9 s. A busy machine only makes it later.
        Assert.True(took >= Budget * 0.75, $"gave up after {took.TotalSeconds:F1} s of a {Budget.TotalSeconds} s budget");
        Assert.True(took < Budget * 2, $"took {took.TotalSeconds:F1} s with a {Budget.TotalSeconds} s budget");
        TestContext.Current.SendDiagnosticMessage($"refused: failed after {took.TotalSeconds:F2} s (budget {Budget.TotalSeconds} s)");
    }

    [Fact]
    public void A_host_that_never_answers_fails_within_the_retry_budget()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(backlog: 64); // connections wait in the backlog: accepted by the kernel, never answered
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var (e, took) = Open(port);
        AssertOneClearError(e, port);
        Assert.Contains("no answer in time", e.Message, StringComparison.Ordinal);
        Assert.True(took >= Budget * 0.75, $"gave up after {took.TotalSeconds:F1} s of a {Budget.TotalSeconds} s budget");
        Assert.True(took < Budget * 2, $"took {took.TotalSeconds:F1} s with a {Budget.TotalSeconds} s budget");
        TestContext.Current.SendDiagnosticMessage($"silent: failed after {took.TotalSeconds:F2} s (budget {Budget.TotalSeconds} s)");
    }
}
