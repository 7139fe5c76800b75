namespace WeightWatcher.Storage;

/// <summary>
/// Counts the blob requests tried again after a transient failure (<see cref="BlobRetryPolicy"/>): in total for
/// the process, and per scope, an async flow that one piece of work runs in (a layer task, a job's planning or
/// its reports), so that a worker can send the retries of its task with the task's reply and the coordinator can
/// add up a job's retries over every process that worked on it.
/// </summary>
public static class StoreRetries
{
    private static readonly AsyncLocal<Scope?> s_current = new();
    private static long s_total;

    /// <summary>Retries of this process since it started.</summary>
    public static long Total => Interlocked.Read(ref s_total);

    /// <summary>
    /// Starts counting the retries of the calling async flow and of everything it awaits or starts (until the
    /// scope is disposed). Begin it in the async method that does the work: a scope begun in a callee does not
    /// flow back to its caller.
    /// </summary>
    public static Scope Begin()
    {
        var scope = new Scope(s_current.Value);
        s_current.Value = scope;
        return scope;
    }

    /// <summary>One retry of the current flow.</summary>
    internal static void Count()
    {
        Interlocked.Increment(ref s_total);
        s_current.Value?.Add();
    }

    /// <summary>The retries of one flow; an enclosing scope counts them too.</summary>
    public sealed class Scope : IDisposable
    {
        private readonly Scope? _outer;
        private int _count;

        internal Scope(Scope? outer)
        {
            _outer = outer;
        }

        /// <summary>Retries counted so far.</summary>
        public int Count => Volatile.Read(ref _count);

        /// <summary>Stops counting: the flow goes back to the enclosing scope, if any.</summary>
        public void Dispose()
        {
            if (ReferenceEquals(s_current.Value, this))
            {
                s_current.Value = _outer;
            }
        }

        internal void Add()
        {
            Interlocked.Increment(ref _count);
            _outer?.Add();
        }
    }
}
