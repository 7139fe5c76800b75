namespace WeightWatcher.Reports.Html;

/// <summary>
/// Runs figure drawing on dedicated background threads (one per core, below normal priority) instead of
/// the thread pool: a zoo report draws thousands of figures inside a cluster node, whose actors and
/// heartbeats run on the pool and must not wait behind them.
/// </summary>
public static class FigureWorkers
{
    /// <summary>Runs every job and returns the results in job order; the first failure is rethrown.</summary>
    public static IReadOnlyList<T> Run<T>(IReadOnlyList<Func<T>> jobs, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var results = new T[jobs.Count];
        Exception? failure = null;
        int next = -1;
        var threads = Enumerable.Range(0, Math.Min(Environment.ProcessorCount, Math.Max(1, jobs.Count))).Select(_ => new Thread(() =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < jobs.Count && Volatile.Read(ref failure) is null && !cancellation.IsCancellationRequested)
            {
                try
                {
                    results[i] = jobs[i]();
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            }
        })
        {
            IsBackground = true,
            Priority = ThreadPriority.BelowNormal,
            Name = "ww-figures",
        }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        cancellation.ThrowIfCancellationRequested();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
        return results;
    }
}
