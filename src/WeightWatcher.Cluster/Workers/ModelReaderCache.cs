using WeightWatcher.Core.Formats;

namespace WeightWatcher.Cluster.Workers;

/// <summary>
/// Open model readers shared by the layer tasks of one node: a model's headers are parsed once, not once
/// per layer. Readers are leased; only readers no task holds are closed when the cache is full.
/// </summary>
public sealed class ModelReaderCache : IDisposable
{
    private readonly int _capacity;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _clock;

    /// <summary>Creates a cache keeping up to <paramref name="capacity"/> idle readers open.</summary>
    public ModelReaderCache(int capacity = 8)
    {
        _capacity = Math.Max(1, capacity);
    }

    /// <summary>Leases the reader of the model at <paramref name="localPath"/>, opening it when needed.</summary>
    /// <exception cref="ModelFormatException">The model cannot be opened.</exception>
    public Lease Acquire(string localPath)
    {
        Entry? entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(localPath, out entry))
            {
                entry = new Entry(new Lazy<IModelReader>(() => ModelOpener.Open(localPath), LazyThreadSafetyMode.ExecutionAndPublication));
                _entries[localPath] = entry;
            }
            entry.Leases++;
            entry.LastUsed = ++_clock;
        }
        try
        {
            return new Lease(this, localPath, entry.Reader.Value);
        }
        catch
        {
            // A model that cannot be opened is not kept: the next task gets the same clear error afresh.
            lock (_gate)
            {
                entry.Leases--;
                _entries.Remove(localPath);
            }
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var e in _entries.Values.Where(e => e.Reader.IsValueCreated))
            {
                e.Reader.Value.Dispose();
            }
            _entries.Clear();
        }
    }

    private void Release(string path)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(path, out var entry))
            {
                entry.Leases--;
            }
            var idle = _entries.Where(kv => kv.Value.Leases == 0).OrderBy(kv => kv.Value.LastUsed).ToList();
            for (int i = 0; i < idle.Count - _capacity; i++)
            {
                _entries.Remove(idle[i].Key);
                if (idle[i].Value.Reader.IsValueCreated)
                {
                    idle[i].Value.Reader.Value.Dispose();
                }
            }
        }
    }

    /// <summary>A leased reader; dispose to give it back.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly ModelReaderCache _owner;
        private readonly string _path;
        private int _released;

        internal Lease(ModelReaderCache owner, string path, IModelReader reader)
        {
            _owner = owner;
            _path = path;
            Reader = reader;
        }

        /// <summary>The open model.</summary>
        public IModelReader Reader { get; }

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _owner.Release(_path);
            }
        }
    }

    private sealed class Entry(Lazy<IModelReader> reader)
    {
        public Lazy<IModelReader> Reader { get; } = reader;

        public int Leases { get; set; }

        public long LastUsed { get; set; }
    }
}
