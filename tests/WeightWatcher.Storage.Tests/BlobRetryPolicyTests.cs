using System.Diagnostics;
using WeightWatcher.Storage.Tests.Support;

namespace WeightWatcher.Storage.Tests;

/// <summary>
/// The blob stores' retry policy is time-based: a request that fails transiently is tried again until its
/// budget is spent, however many tries that takes, so an outage shorter than the budget is waited for and a
/// store that is gone fails after about the budget. The schedule is checked as arithmetic; the outage with a
/// real Azurite of the test's own, stopped and started again on the same port and data folder.
/// </summary>
public sealed class BlobRetryPolicyTests
{
    private static readonly Uri Container = new("http://127.0.0.1:1/devstoreaccount1/zoo?sv=2025-01-05&sig=SECRET");

    [Fact]
    public void Waits_double_from_a_sixtieth_of_the_budget_to_a_tenth_give_or_take_a_fifth()
    {
        var policy = new BlobRetryPolicy(TimeSpan.FromSeconds(30), Container);
        Assert.Equal(TimeSpan.FromMilliseconds(500), policy.InitialDelay);
        Assert.Equal(TimeSpan.FromSeconds(3), policy.MaxDelay);
        Assert.Equal(0.4, policy.Backoff(0, 0).TotalSeconds, 6);
        Assert.Equal(0.6, policy.Backoff(0, 1).TotalSeconds, 6);
        Assert.Equal(2.0, policy.Backoff(2, 0.5).TotalSeconds, 6);
        Assert.Equal(3.0, policy.Backoff(3, 0.5).TotalSeconds, 6);
        Assert.Equal(3.0, policy.Backoff(int.MaxValue, 0.5).TotalSeconds, 6);
        // Long budgets keep short waits: a store that is back is noticed within 5 s.
        Assert.Equal(TimeSpan.FromSeconds(5), new BlobRetryPolicy(TimeSpan.FromMinutes(10), Container).MaxDelay);
    }

    [Fact]
    public void A_refused_request_is_tried_again_until_the_budget_is_spent_not_a_number_of_times()
    {
        // A refused connection fails at once: the tries are as many as the waits allow.
        var budget = TimeSpan.FromSeconds(30);
        var policy = new BlobRetryPolicy(budget, Container);
        var (starts, elapsed) = Simulate(policy, tryTakes: _ => TimeSpan.Zero);
        Assert.InRange(elapsed, budget - policy.MinimumTry - policy.MaxDelay * 1.2, budget);
        Assert.InRange(starts.Count, 10, 20);
        // The counted policy this replaces gave up after 4 tries, about 6 s: a 20 s outage failed the job.
        // Now a store back after 20 s is tried again within the longest wait.
        Assert.Contains(starts, s => s >= TimeSpan.FromSeconds(20) && s <= TimeSpan.FromSeconds(20) + policy.MaxDelay * 1.2);
    }

    [Fact]
    public void A_silent_host_is_given_up_on_at_the_budget_the_last_try_shortened()
    {
        var budget = TimeSpan.FromSeconds(30);
        var policy = new BlobRetryPolicy(budget, Container);
        Assert.Equal(TimeSpan.FromSeconds(6), policy.TryTimeout);
        // Each try waits its whole network timeout for an answer that never comes.
        var (starts, elapsed) = Simulate(policy, tryTakes: policy.TimeoutOfTry);
        Assert.InRange(elapsed, budget - policy.MinimumTry, budget + policy.MinimumTry);
        Assert.InRange(starts.Count, 4, 6);
        Assert.Equal(TimeSpan.FromSeconds(2), policy.TimeoutOfTry(TimeSpan.FromSeconds(28)));
        Assert.Equal(policy.MinimumTry, policy.TimeoutOfTry(TimeSpan.FromSeconds(29.9)));
        Assert.False(policy.Next(budget - policy.MinimumTry, TimeSpan.Zero).Retry);
    }

    [Fact]
    public void The_operation_is_named_from_the_request_never_with_its_query()
    {
        Assert.Equal("read", Operation("GET", "/devstoreaccount1/zoo/a.bin?sig=SECRET"));
        Assert.Equal("list", Operation("GET", "/devstoreaccount1/zoo?restype=container&comp=list"));
        Assert.Equal("get properties of", Operation("HEAD", "/devstoreaccount1/zoo/a.bin"));
        Assert.Equal("write", Operation("PUT", "/devstoreaccount1/zoo/a.bin"));
        Assert.Equal("write a block of", Operation("PUT", "/devstoreaccount1/zoo/a.bin?comp=block&blockid=AA"));
        Assert.Equal("commit blocks of", Operation("PUT", "/devstoreaccount1/zoo/a.bin?comp=blocklist"));
        Assert.Equal("create", Operation("PUT", "/devstoreaccount1/zoo?restype=container"));
        Assert.Equal("delete", Operation("DELETE", "/devstoreaccount1/zoo/a.bin"));
        var policy = new BlobRetryPolicy(TimeSpan.FromSeconds(30), Container);
        Assert.Equal("results/cache/ab/a b.json", policy.PathOf(Request("GET", "/devstoreaccount1/zoo/results/cache/ab/a%20b.json?sig=SECRET")));
        Assert.Equal("", policy.PathOf(Request("GET", "/devstoreaccount1/zoo?restype=container&comp=list")));
        Assert.Equal("http://127.0.0.1:1/devstoreaccount1/zoo?sv=2025-01-05&sig=REDACTED", policy.Store);
    }

    [Fact]
    public async Task An_outage_shorter_than_the_budget_is_waited_for_and_each_retry_counted()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        azurite.EnsureRunning();
        string name = TestData.UniqueContainerName("outage");
        using var store = StoreFactory.Create("az://" + name, createIfMissing: true,
            getEnvironment: v => v == StoreFactory.ConnectionStringVariable ? azurite.ConnectionString : null, retryBudget: StoreFactory.DefaultRetryBudget);
        await store.WriteAsync("before.bin", TestData.Bytes(1000), cancellation);

        var stopping = Stopwatch.StartNew();
        await azurite.StopAsync();
        double stopped = stopping.Elapsed.TotalSeconds;
        using var scope = StoreRetries.Begin();
        long before = StoreRetries.Total;
        // A write, a ranged read and a listing, all made while the service is gone.
        var write = store.WriteAsync("during.bin", TestData.Bytes(2000, seed: 2), cancellation);
        var read = store.ReadAllAsync("before.bin");
        var list = store.ListAllAsync();
        await Task.Delay(TimeSpan.FromSeconds(4), cancellation);
        Assert.False(write.IsCompleted || read.IsCompleted || list.IsCompleted, "the requests waited for the service");

        var starting = Stopwatch.StartNew();
        await azurite.StartAgainAsync();
        double started = starting.Elapsed.TotalSeconds;
        var back = Stopwatch.StartNew();
        await Task.WhenAll(write, read, list);
        double recovered = back.Elapsed.TotalSeconds;

        Assert.Equal(TestData.Bytes(1000), await read);
        // The listing and the write both waited for the service: which retry got through first is a race.
        Assert.Contains("before.bin", (await list).Select(o => o.Path));
        Assert.Equal(["before.bin", "during.bin"], (await store.ListAllAsync()).Select(o => o.Path));
        Assert.Equal(TestData.Bytes(2000, seed: 2), await store.ReadAllAsync("during.bin"));
        // At least one retry of each request, counted in the scope of the flow that made them and in the total.
        Assert.True(scope.Count >= 3, $"{scope.Count} retries counted");
        Assert.True(StoreRetries.Total - before >= scope.Count);
        TestContext.Current.SendDiagnosticMessage($"Azurite stopped in {stopped:F1} s, started again in {started:F1} s; {scope.Count} retries; the requests completed {recovered:F2} s after the service was back");
    }

    /// <summary>
    /// When the tries of a request that always fails start (each taking <paramref name="tryTakes"/>), with the
    /// middle of every jitter range, and when it is given up.
    /// </summary>
    private static (List<TimeSpan> Starts, TimeSpan Elapsed) Simulate(BlobRetryPolicy policy, Func<TimeSpan, TimeSpan> tryTakes)
    {
        var starts = new List<TimeSpan>();
        var elapsed = TimeSpan.Zero;
        while (true)
        {
            starts.Add(elapsed);
            elapsed += tryTakes(elapsed);
            var (retry, delay) = policy.Next(elapsed, policy.Backoff(starts.Count - 1, 0.5));
            if (!retry)
            {
                return (starts, elapsed);
            }
            elapsed += delay;
        }
    }

    private static string Operation(string method, string pathAndQuery) => BlobRetryPolicy.Operation(Request(method, pathAndQuery));

    /// <summary>A request as the SDK builds it (the path set from the blob's URI).</summary>
    private static Azure.Core.Request Request(string method, string pathAndQuery)
    {
        var message = new Azure.Core.Pipeline.HttpPipeline(new Azure.Core.Pipeline.HttpClientTransport()).CreateMessage();
        message.Request.Method = Azure.Core.RequestMethod.Parse(method);
        message.Request.Uri.Reset(new Uri("http://127.0.0.1:1" + pathAndQuery));
        return message.Request;
    }
}
