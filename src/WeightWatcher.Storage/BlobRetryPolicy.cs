using System.Diagnostics;
using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;

namespace WeightWatcher.Storage;

/// <summary>
/// The retry policy of every blob client <see cref="StoreFactory"/> builds: time-based rather than counted. A
/// request that fails transiently (no answer, a dropped connection, a timeout, HTTP 408/429/5xx: the SDK's own
/// classification) is tried again, with capped exponential backoff, until the budget since its first try is
/// spent; the last try's network timeout is shortened to what is left. So a blob service that is away for less
/// than the budget (a restart, a failover) is waited for, and one that is gone fails after about the budget,
/// whether it refuses connections or never answers. Each retry is a Serilog warning naming the store and the
/// operation, and is counted in <see cref="StoreRetries"/>.
/// </summary>
internal sealed class BlobRetryPolicy : RetryPolicy
{
    private const string StartProperty = "ww.retry.start";

    private readonly string _containerPath;

    /// <summary>Creates the policy for one container's client.</summary>
    /// <param name="budget">How long a request may go on failing, from its first try.</param>
    /// <param name="containerUri">The container's URI: its redacted form names the store in the log.</param>
    public BlobRetryPolicy(TimeSpan budget, Uri containerUri)
        : base(maxRetries: int.MaxValue, delayStrategy: new NoDelay())
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(budget, TimeSpan.Zero);
        Budget = budget;
        Store = AzureBlobStore.RedactSignature(containerUri);
        _containerPath = containerUri.AbsolutePath.TrimEnd('/') + "/";
    }

    /// <summary>How long a request may go on failing, from its first try.</summary>
    public TimeSpan Budget { get; }

    /// <summary>The store as the log names it (a SAS signature redacted).</summary>
    public string Store { get; }

    /// <summary>The longest one try may wait for an answer: a fifth of the budget (6 s by default), so a loaded but living service is not given up on.</summary>
    public TimeSpan TryTimeout => Budget / 5;

    /// <summary>The shortest try worth starting: a last try with less time than this left is not made.</summary>
    public TimeSpan MinimumTry => TryTimeout / 4;

    /// <summary>The first wait (a sixtieth of the budget, at most 0.5 s): a blink costs little.</summary>
    public TimeSpan InitialDelay => Min(Budget / 60, TimeSpan.FromMilliseconds(500));

    /// <summary>The longest wait between tries (a tenth of the budget, at most 5 s): once the service is back, a request notices within this.</summary>
    public TimeSpan MaxDelay => Min(Budget / 10, TimeSpan.FromSeconds(5));

    /// <summary>
    /// The wait before retry number <paramref name="retry"/> + 1: doubling from <see cref="InitialDelay"/> up to
    /// <see cref="MaxDelay"/>, spread by ±20% (<paramref name="jitter"/> in [0, 1)) so requests that failed together
    /// do not all come back at the same instant.
    /// </summary>
    public TimeSpan Backoff(int retry, double jitter)
    {
        double nominal = Math.Min(InitialDelay.TotalSeconds * Math.Pow(2, Math.Min(retry, 30)), MaxDelay.TotalSeconds);
        return TimeSpan.FromSeconds(nominal * (0.8 + 0.4 * jitter));
    }

    /// <summary>
    /// Whether a request that has been failing for <paramref name="elapsed"/> is tried again after
    /// <paramref name="wanted"/>, and after how long: the wait is shortened to leave the last try at least
    /// <see cref="MinimumTry"/> within the budget; none is made when less than that is left.
    /// </summary>
    public (bool Retry, TimeSpan Delay) Next(TimeSpan elapsed, TimeSpan wanted)
    {
        var left = Budget - elapsed - MinimumTry;
        return left <= TimeSpan.Zero ? (false, TimeSpan.Zero) : (true, Min(wanted, left));
    }

    /// <summary>A try's network timeout: <see cref="TryTimeout"/>, or what is left of the budget (at least <see cref="MinimumTry"/>).</summary>
    public TimeSpan TimeoutOfTry(TimeSpan elapsed) => Max(Min(TryTimeout, Budget - elapsed), MinimumTry);

    /// <inheritdoc />
    protected override void OnSendingRequest(HttpMessage message)
    {
        if (message.ProcessingContext.RetryNumber == 0 || !message.TryGetProperty(StartProperty, out _))
        {
            message.SetProperty(StartProperty, Stopwatch.GetTimestamp());
        }
        message.NetworkTimeout = TimeoutOfTry(Elapsed(message));
    }

    /// <inheritdoc />
    protected override ValueTask OnSendingRequestAsync(HttpMessage message)
    {
        OnSendingRequest(message);
        return default;
    }

    /// <inheritdoc />
    protected override void OnRequestSent(HttpMessage message)
    {
        if (message.ProcessingContext.RetryNumber > 0 && message.HasResponse && !message.Response.IsError)
        {
            Serilog.Log.ForContext<BlobRetryPolicy>().Information(
                "Blob store {Store}: {Operation} {Target} succeeded after {Retries} retries, {Elapsed:0.0} s after its first try",
                Store, Operation(message.Request), Target(message.Request), message.ProcessingContext.RetryNumber, Elapsed(message).TotalSeconds);
        }
    }

    /// <inheritdoc />
    protected override ValueTask OnRequestSentAsync(HttpMessage message)
    {
        OnRequestSent(message);
        return default;
    }

    /// <inheritdoc />
    protected override bool ShouldRetry(HttpMessage message, Exception? exception)
    {
        if (Decide(message, exception) is not { } delay)
        {
            return false;
        }
        message.CancellationToken.WaitHandle.WaitOne(delay);
        message.CancellationToken.ThrowIfCancellationRequested();
        return true;
    }

    /// <inheritdoc />
    protected override async ValueTask<bool> ShouldRetryAsync(HttpMessage message, Exception? exception)
    {
        if (Decide(message, exception) is not { } delay)
        {
            return false;
        }
        await Task.Delay(delay, message.CancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The wait before the next try, or null when the request is not tried again. A retry is logged and counted here.</summary>
    private TimeSpan? Decide(HttpMessage message, Exception? exception)
    {
        if (message.CancellationToken.IsCancellationRequested)
        {
            return null;
        }
        bool transient = exception is null ? message.ResponseClassifier.IsRetriableResponse(message) : message.ResponseClassifier.IsRetriable(message, exception);
        if (!transient)
        {
            return null;
        }
        var elapsed = Elapsed(message);
        var wanted = Max(Backoff(message.ProcessingContext.RetryNumber, Random.Shared.NextDouble()), RetryAfter(message));
        var (retry, delay) = Next(elapsed, wanted);
        if (!retry)
        {
            return null;
        }
        StoreRetries.Count();
        Serilog.Log.ForContext<BlobRetryPolicy>().Warning(
            "Blob store {Store}: {Operation} {Target} failed ({Reason}); retry {Retry} in {Delay:0.0} s ({Elapsed:0.0} s of the {Budget:0.#} s retry budget spent)",
            Store, Operation(message.Request), Target(message.Request), Reason(message, exception), message.ProcessingContext.RetryNumber + 1, delay.TotalSeconds, elapsed.TotalSeconds, Budget.TotalSeconds);
        return delay;
    }

    private static TimeSpan Elapsed(HttpMessage message) =>
        message.TryGetProperty(StartProperty, out var start) && start is long timestamp ? Stopwatch.GetElapsedTime(timestamp) : TimeSpan.Zero;

    /// <summary>The service's Retry-After hint (seconds), when it sent one (throttling).</summary>
    private static TimeSpan RetryAfter(HttpMessage message) =>
        message.HasResponse && message.Response.Headers.TryGetValue("Retry-After", out var value)
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.Zero;

    /// <summary>What the request does, in words (the query names the sub-resource: list, block, container ...).</summary>
    internal static string Operation(Request request)
    {
        string query = request.Uri.Query;
        bool Has(string parameter) => query.Contains(parameter, StringComparison.OrdinalIgnoreCase);
        return request.Method.Method switch
        {
            "HEAD" => "get properties of",
            "GET" when Has("comp=list") => "list",
            "GET" => "read",
            "PUT" when Has("comp=blocklist") => "commit blocks of",
            "PUT" when Has("comp=block") => "write a block of",
            "PUT" when Has("restype=container") => "create",
            "PUT" => "write",
            "DELETE" => "delete",
            var other => other,
        };
    }

    /// <summary>What a request works on, for the log: the blob's path, or "the container".</summary>
    private string Target(Request request) => PathOf(request) is { Length: > 0 } path ? path : "the container";

    /// <summary>The blob's path in the container ("" for a request on the container itself); never the query, which may hold a SAS.</summary>
    internal string PathOf(Request request)
    {
        // The request's path comes escaped and without its leading '/'.
        string path = "/" + Uri.UnescapeDataString(request.Uri.Path).TrimStart('/');
        return path.StartsWith(_containerPath, StringComparison.Ordinal) ? path[_containerPath.Length..] : "";
    }

    private static string Reason(HttpMessage message, Exception? exception)
    {
        if (exception is null)
        {
            return message.HasResponse ? $"HTTP {message.Response.Status}" : "no response";
        }
        return AzureBlobStore.TransportError(exception);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The waits are this policy's own (<see cref="Decide"/>): the base class adds none.</summary>
    private sealed class NoDelay() : DelayStrategy(maxDelay: TimeSpan.Zero, jitterFactor: 0)
    {
        protected override TimeSpan GetNextDelayCore(Azure.Response? response, int retryNumber) => TimeSpan.Zero;
    }
}
