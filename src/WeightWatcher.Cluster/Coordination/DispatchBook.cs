using System.Collections.Immutable;

namespace WeightWatcher.Cluster.Coordination;

/// <summary>
/// The coordinator's bookkeeping of tasks, as an immutable value: waiting, in flight (with a deadline and
/// an attempt count) and done. Sharding delivers at most once, so anything in flight may be lost: the book
/// says what to send again after a deadline or when a member leaves. Completion is first-wins, so a task
/// that ran twice is counted once. Every operation returns a new book.
/// </summary>
/// <typeparam name="TTask">The task message.</typeparam>
public sealed record DispatchBook<TTask>
    where TTask : notnull
{
    private readonly int _maxInFlight;
    private readonly TimeSpan _timeout;

    /// <summary>Creates a book sending at most <paramref name="maxInFlight"/> tasks at once, each given <paramref name="timeout"/>.</summary>
    public DispatchBook(int maxInFlight, TimeSpan timeout)
    {
        _maxInFlight = Math.Max(1, maxInFlight);
        _timeout = timeout;
    }

    private ImmutableList<string> Waiting { get; init; } = [];

    private ImmutableDictionary<string, TTask> Tasks { get; init; } = ImmutableDictionary.Create<string, TTask>(StringComparer.Ordinal);

    private ImmutableDictionary<string, (DateTime Deadline, int Attempts)> Sent { get; init; } =
        ImmutableDictionary.Create<string, (DateTime, int)>(StringComparer.Ordinal);

    private ImmutableDictionary<string, int> AttemptCounts { get; init; } = ImmutableDictionary.Create<string, int>(StringComparer.Ordinal);

    private ImmutableHashSet<string> DoneKeys { get; init; } = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    private ImmutableHashSet<string> FreeKeys { get; init; } = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Tasks known (waiting, in flight or done).</summary>
    public int Total => Tasks.Count;

    /// <summary>Tasks done.</summary>
    public int Done => DoneKeys.Count;

    /// <summary>Tasks in flight.</summary>
    public int InFlight => Sent.Count;

    /// <summary>True when every known task is done.</summary>
    public bool AllDone => DoneKeys.Count == Tasks.Count;

    /// <summary>Adds a task to send (no change when the key is already known).</summary>
    public DispatchBook<TTask> Add(string key, TTask task) =>
        Tasks.ContainsKey(key) ? this : this with { Tasks = Tasks.Add(key, task), Waiting = Waiting.Add(key) };

    /// <summary>Adds a task already done (its result is stored): known, never sent.</summary>
    public DispatchBook<TTask> AddDone(string key, TTask task) =>
        this with { Tasks = Tasks.SetItem(key, task), DoneKeys = DoneKeys.Add(key) };

    /// <summary>Takes the tasks to send now (up to the in-flight bound), recording their deadlines.</summary>
    public (DispatchBook<TTask> Book, IReadOnlyList<TTask> Send) TakeSendable(DateTime now)
    {
        var send = new List<TTask>();
        var waiting = Waiting;
        var sent = Sent;
        var attempts = AttemptCounts;
        var free = FreeKeys;
        while (sent.Count < _maxInFlight && waiting.Count > 0)
        {
            string key = waiting[0];
            waiting = waiting.RemoveAt(0);
            if (DoneKeys.Contains(key))
            {
                continue;
            }
            // A task lost with a departed member is not the task's fault: that send does not count.
            int count = attempts.GetValueOrDefault(key) + (free.Contains(key) ? 0 : 1);
            free = free.Remove(key);
            attempts = attempts.SetItem(key, count);
            sent = sent.SetItem(key, (now + _timeout, count));
            send.Add(Tasks[key]);
        }
        return (this with { Waiting = waiting, Sent = sent, AttemptCounts = attempts, FreeKeys = free }, send);
    }

    /// <summary>Records a task as done; <c>Completed</c> is false when it was already done (a duplicate reply) or unknown.</summary>
    public (DispatchBook<TTask> Book, bool Completed) Complete(string key) =>
        !Tasks.ContainsKey(key) || DoneKeys.Contains(key)
            ? (this, false)
            : (this with { DoneKeys = DoneKeys.Add(key), Sent = Sent.Remove(key) }, true);

    /// <summary>True when <paramref name="key"/> is done.</summary>
    public bool IsDone(string key) => DoneKeys.Contains(key);

    /// <summary>True when the next send of <paramref name="key"/> will not count as an attempt.</summary>
    public bool IsFree(string key) => FreeKeys.Contains(key);

    /// <summary>How many times <paramref name="key"/> has been sent.</summary>
    public int Attempts(string key) => AttemptCounts.GetValueOrDefault(key);

    /// <summary>Puts an in-flight task back at the front of the queue (a transient failure or a lost node); <c>Retried</c> is false when it was not in flight.</summary>
    public (DispatchBook<TTask> Book, bool Retried) Retry(string key) =>
        DoneKeys.Contains(key) || !Sent.ContainsKey(key)
            ? (this, false)
            : (this with { Sent = Sent.Remove(key), Waiting = Waiting.Insert(0, key) }, true);

    /// <summary>
    /// Brings the deadline of every in-flight task forward to <paramref name="deadline"/> and makes their
    /// next send free (not counted as an attempt): a member left, and any of them may have been on it.
    /// Not re-sent at once, because the shard regions still route to the departed member until they
    /// have seen it go; after the deadline the tasks reach the shards' new homes.
    /// </summary>
    /// <returns>The new book, and how many tasks were in flight.</returns>
    public (DispatchBook<TTask> Book, int InFlight) Hurry(DateTime deadline)
    {
        var sent = Sent;
        var free = FreeKeys;
        foreach (var (key, (current, attempts)) in Sent)
        {
            sent = sent.SetItem(key, (current < deadline ? current : deadline, attempts));
            free = free.Add(key);
        }
        return (this with { Sent = sent, FreeKeys = free }, Sent.Count);
    }

    /// <summary>In-flight tasks whose deadline has passed, in key order.</summary>
    public IReadOnlyList<string> Expired(DateTime now) =>
        Sent.Where(kv => kv.Value.Deadline <= now).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
}
