namespace WeightWatcher.Cluster.Coordination;

/// <summary>
/// The coordinator's bookkeeping of tasks: waiting, in flight (with a deadline and an attempt count) and
/// done. Sharding delivers at most once, so anything in flight may be lost: the book says what to send
/// again after a deadline or when a member leaves. Completion is first-wins, so a task that ran twice is
/// counted once.
/// </summary>
/// <typeparam name="TTask">The task message.</typeparam>
public sealed class DispatchBook<TTask>
    where TTask : notnull
{
    private readonly LinkedList<string> _waiting = new();
    private readonly Dictionary<string, TTask> _tasks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTime Deadline, int Attempts)> _inFlight = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);
    private readonly HashSet<string> _free = new(StringComparer.Ordinal);
    private readonly int _maxInFlight;
    private readonly TimeSpan _timeout;

    /// <summary>Creates a book sending at most <paramref name="maxInFlight"/> tasks at once, each given <paramref name="timeout"/>.</summary>
    public DispatchBook(int maxInFlight, TimeSpan timeout)
    {
        _maxInFlight = Math.Max(1, maxInFlight);
        _timeout = timeout;
    }

    /// <summary>Tasks known (waiting, in flight or done).</summary>
    public int Total => _tasks.Count;

    /// <summary>Tasks done.</summary>
    public int Done => _done.Count;

    /// <summary>Tasks in flight.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>True when every known task is done.</summary>
    public bool AllDone => _done.Count == _tasks.Count;

    /// <summary>Adds a task to send (ignored when the key is already known).</summary>
    public void Add(string key, TTask task)
    {
        if (_tasks.TryAdd(key, task))
        {
            _waiting.AddLast(key);
        }
    }

    /// <summary>Marks a known task done without sending it (its result was already stored).</summary>
    public void AddDone(string key, TTask task)
    {
        _tasks[key] = task;
        _done.Add(key);
    }

    /// <summary>Takes the tasks to send now (up to the in-flight bound), recording their deadlines.</summary>
    public List<TTask> TakeSendable(DateTime now)
    {
        var send = new List<TTask>();
        while (_inFlight.Count < _maxInFlight && _waiting.First is { } first)
        {
            _waiting.RemoveFirst();
            string key = first.Value;
            if (_done.Contains(key))
            {
                continue;
            }
            // A task lost with a departed member is not the task's fault: that send does not count.
            int attempts = _attempts.GetValueOrDefault(key) + (_free.Remove(key) ? 0 : 1);
            _attempts[key] = attempts;
            _inFlight[key] = (now + _timeout, attempts);
            send.Add(_tasks[key]);
        }
        return send;
    }

    /// <summary>Records a task as done; false when it was already done (a duplicate reply) or unknown.</summary>
    public bool Complete(string key)
    {
        if (!_tasks.ContainsKey(key) || !_done.Add(key))
        {
            return false;
        }
        _inFlight.Remove(key);
        return true;
    }

    /// <summary>True when <paramref name="key"/> is done.</summary>
    public bool IsDone(string key) => _done.Contains(key);

    /// <summary>True when the next send of <paramref name="key"/> will not count as an attempt.</summary>
    public bool IsFree(string key) => _free.Contains(key);

    /// <summary>How many times <paramref name="key"/> has been sent.</summary>
    public int Attempts(string key) => _attempts.GetValueOrDefault(key);

    /// <summary>Puts an in-flight task back at the front of the queue (a transient failure or a lost node).</summary>
    public bool Retry(string key)
    {
        if (_done.Contains(key) || !_inFlight.Remove(key))
        {
            return false;
        }
        _waiting.AddFirst(key);
        return true;
    }

    /// <summary>
    /// Brings the deadline of every in-flight task forward to <paramref name="deadline"/> and makes their
    /// next send free (not counted as an attempt): a member left, and any of them may have been on it.
    /// Not re-sent at once, because the shard regions still route to the departed member until they
    /// have seen it go; after the deadline the tasks reach the shards' new homes.
    /// </summary>
    /// <returns>How many tasks were in flight.</returns>
    public int Hurry(DateTime deadline)
    {
        foreach (var key in _inFlight.Keys.ToList())
        {
            var (current, attempts) = _inFlight[key];
            _inFlight[key] = (current < deadline ? current : deadline, attempts);
            _free.Add(key);
        }
        return _inFlight.Count;
    }

    /// <summary>In-flight tasks whose deadline has passed.</summary>
    public List<string> Expired(DateTime now) => _inFlight.Where(kv => kv.Value.Deadline <= now).Select(kv => kv.Key).ToList();

}
