using System.Collections.Concurrent;

namespace WeightWatcher.Storage;

/// <summary>
/// Runs at most one piece of work per key at a time; callers asking for a key already running await that
/// run instead of starting their own (one download or one hash per object, however many actors ask).
/// </summary>
internal sealed class SharedWork<TKey>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<Task<string>>> _running = new();

    /// <summary>Whether work for <paramref name="key"/> is in progress.</summary>
    public bool IsRunning(TKey key) => _running.ContainsKey(key);

    /// <summary>
    /// Joins the run for <paramref name="key"/>, starting <paramref name="work"/> with this caller's token when none is running.
    /// A caller that cancels stops waiting; if it was the one that started the run, the run is cancelled and the
    /// remaining callers start a new one rather than failing with someone else's cancellation.
    /// </summary>
    public async Task<string> RunAsync(TKey key, Func<CancellationToken, Task<string>> work, CancellationToken cancellation)
    {
        while (true)
        {
            var run = _running.GetOrAdd(key, _ => new Lazy<Task<string>>(() => StartAsync(work, cancellation)));
            try
            {
                return await run.Value.WaitAsync(cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                // The caller that started the run cancelled it; go round and start (or join) a fresh one.
            }
            finally
            {
                if (run.Value.IsCompleted)
                {
                    // Only this exact run is removed: a newer one under the same key stays.
                    _running.TryRemove(KeyValuePair.Create(key, run));
                }
            }
        }
    }

    // An async wrapper so that work throwing before its first await still yields a faulted task, never a faulted Lazy.
    private static async Task<string> StartAsync(Func<CancellationToken, Task<string>> work, CancellationToken cancellation) =>
        await work(cancellation).ConfigureAwait(false);
}
