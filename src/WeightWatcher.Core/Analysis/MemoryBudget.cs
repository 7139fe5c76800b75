namespace WeightWatcher.Core.Analysis;

/// <summary>
/// The bytes the layers in flight may hold at once. A layer leases its estimate before it reads its tensor
/// and waits while the others hold too much, so a model of a few huge tensors runs them one after another
/// instead of all at once; a layer whose estimate alone exceeds the budget is refused with the figures.
/// </summary>
public sealed class MemoryBudget
{
    private readonly object _gate = new();
    private long _held;

    /// <summary>A budget of <paramref name="bytes"/> bytes.</summary>
    public MemoryBudget(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1L << 20);
        Bytes = bytes;
    }

    /// <summary>The budget in bytes.</summary>
    public long Bytes { get; }

    /// <summary>
    /// The default for this machine: 60% of the memory the runtime may use (a container's limit when there
    /// is one), leaving room for the process itself, the native libraries and the file cache.
    /// </summary>
    public static long DefaultBytes() => (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * 0.6);

    /// <summary>
    /// What analyzing a tensor of <paramref name="elements"/> elements holds at most: the tensor as doubles,
    /// one working copy of it (extraction, transposition, LAPACK's input copy) and two Gram-sized matrices of
    /// its smaller side <paramref name="smallerSide"/> (the product and LAPACK's workspace).
    /// </summary>
    public static long Estimate(long elements, long smallerSide) => (2 * elements * sizeof(double)) + (2 * smallerSide * smallerSide * sizeof(double));

    /// <summary>Waits until <paramref name="bytes"/> fit beside what the other layers hold, then holds them until disposed.</summary>
    /// <exception cref="InsufficientMemoryException"><paramref name="bytes"/> exceed the whole budget.</exception>
    public Lease Acquire(long bytes, CancellationToken cancellation = default)
    {
        if (bytes > Bytes)
        {
            throw new InsufficientMemoryException($"needs about {bytes >> 20} MB, more than the memory budget of {Bytes >> 20} MB (--max-memory)");
        }
        lock (_gate)
        {
            // One layer may always run, however large, as long as it fits the budget on its own.
            while (_held > 0 && _held + bytes > Bytes)
            {
                cancellation.ThrowIfCancellationRequested();
                Monitor.Wait(_gate, 100);
            }
            _held += bytes;
        }
        return new Lease(this, bytes);
    }

    private void Release(long bytes)
    {
        lock (_gate)
        {
            _held -= bytes;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Bytes held by one layer; disposing gives them back.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly MemoryBudget _budget;
        private long _bytes;

        internal Lease(MemoryBudget budget, long bytes)
        {
            _budget = budget;
            _bytes = bytes;
        }

        /// <inheritdoc />
        public void Dispose()
        {
            long bytes = Interlocked.Exchange(ref _bytes, 0);
            if (bytes > 0)
            {
                _budget.Release(bytes);
            }
        }
    }
}
