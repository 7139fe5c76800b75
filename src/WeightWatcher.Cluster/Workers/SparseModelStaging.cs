using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Workers;

/// <summary>
/// Partial local copies of safetensors models held in blob storage: each file is created at its full
/// length as a sparse file, and only the byte ranges a task needs are fetched by range read — the
/// headers (all the coordinator needs to enumerate layers) and, for a worker, its layer's tensor. The
/// file-based reader then opens the copy as usual and touches only those ranges. Other formats, whose
/// headers are spread over the file, are staged whole by <see cref="ModelStaging"/>.
/// </summary>
public sealed class SparseModelStaging : IDisposable
{
    private readonly string _root;
    private readonly Dictionary<string, FileState> _files = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Creates the staging area in a folder of its own under <paramref name="cacheDirectory"/> (removed on dispose).</summary>
    public SparseModelStaging(string cacheDirectory)
    {
        // Per process: which ranges of a file hold real bytes is known only to the process that fetched them.
        _root = Path.Combine(cacheDirectory, $"sparse-{Environment.ProcessId}-{Guid.NewGuid():N}");
    }

    /// <summary>Bytes fetched from stores so far (headers and tensor ranges).</summary>
    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    private long _bytesFetched;

    /// <summary>True when every file of the model is a safetensors file or its JSON index.</summary>
    public static bool Applies(IReadOnlyList<StoredObject> files) =>
        files.Count > 0 && files.All(f => f.Path.EndsWith(".safetensors", StringComparison.Ordinal) || f.Path.EndsWith(".json", StringComparison.Ordinal));

    /// <summary>
    /// Makes a local copy of the model at <paramref name="modelRoot"/> holding every file's header (JSON
    /// index files whole) and the given <paramref name="ranges"/>; returns the local path of the model.
    /// </summary>
    public async Task<string> StageAsync(IModelStore store, string modelRoot, IReadOnlyList<StoredObject> files, IReadOnlyList<ByteRange> ranges, CancellationToken cancellation = default)
    {
        // Blob names become local file names below: checked before the first file is created.
        ModelStaging.CheckModelFiles(store, modelRoot, files);
        string folder = Path.Combine(_root, Key(modelRoot, files));
        foreach (var file in files)
        {
            string relative = file.Path == modelRoot ? Path.GetFileName(file.Path) : file.Path[modelRoot.Length..];
            string local = Path.Combine(folder, relative.Replace('/', Path.DirectorySeparatorChar));
            var state = StateOf(local, file.Length);
            await state.Gate.WaitAsync(cancellation).ConfigureAwait(false);
            try
            {
                if (!state.Created)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(local)!);
                    using (var handle = File.OpenHandle(local, FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
                    {
                        RandomAccess.SetLength(handle, file.Length);
                    }
                    state.Created = true;
                }
                var wanted = new List<(long Offset, long Length)>();
                if (file.Path.EndsWith(".json", StringComparison.Ordinal))
                {
                    wanted.Add((0, file.Length));
                }
                else
                {
                    state.Header ??= await HeaderRangeAsync(store, file, cancellation).ConfigureAwait(false);
                    wanted.Add(state.Header.Value);
                    wanted.AddRange(ranges.Where(r => r.Path == file.Path).Select(r => (r.Offset, r.Length)));
                }
                foreach (var (offset, length) in wanted)
                {
                    await FillAsync(store, file, local, state, offset, length, cancellation).ConfigureAwait(false);
                }
            }
            finally
            {
                state.Gate.Release();
            }
        }
        return files.Count == 1 && files[0].Path == modelRoot ? Path.Combine(folder, Path.GetFileName(modelRoot)) : folder;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            if (Directory.Exists(_root))
            {
                Directory.Delete(_root, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A safetensors file's header: the 8-byte length, then that many bytes of JSON (bounded by the file).</summary>
    private async Task<(long Offset, long Length)> HeaderRangeAsync(IModelStore store, StoredObject file, CancellationToken cancellation)
    {
        var prefix = new byte[8];
        int n = await store.ReadRangeAsync(file.Path, 0, prefix, cancellation).ConfigureAwait(false);
        Interlocked.Add(ref _bytesFetched, n);
        if (n < 8)
        {
            return (0, n);
        }
        ulong header = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        // A corrupt length is the reader's to report: fetch what exists and let it refuse the file.
        long length = (long)Math.Min(header, (ulong)Math.Max(0, Math.Min(file.Length - 8, WeightWatcher.Core.Formats.ReaderLimits.MaxHeaderBytes)));
        return (0, 8 + length);
    }

    private async Task FillAsync(IModelStore store, StoredObject file, string local, FileState state, long offset, long length, CancellationToken cancellation)
    {
        if (offset < 0 || length <= 0 || offset >= file.Length || state.Covers(offset, length))
        {
            return;
        }
        length = Math.Min(length, file.Length - offset);
        var buffer = new byte[Math.Min(length, 4 << 20)];
        using var handle = File.OpenHandle(local, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        for (long done = 0; done < length;)
        {
            int chunk = (int)Math.Min(buffer.Length, length - done);
            int n = await store.ReadRangeAsync(file.Path, offset + done, buffer.AsMemory(0, chunk), cancellation).ConfigureAwait(false);
            if (n <= 0)
            {
                throw new StoreException(file.Path, $"ended at byte {offset + done} while {file.Length} were listed (changed while being read?)");
            }
            RandomAccess.Write(handle, buffer.AsSpan(0, n), offset + done);
            done += n;
            Interlocked.Add(ref _bytesFetched, n);
        }
        state.Add(offset, length);
    }

    private FileState StateOf(string local, long length)
    {
        lock (_gate)
        {
            if (!_files.TryGetValue(local, out var state))
            {
                _files[local] = state = new FileState();
            }
            return state;
        }
    }

    private static string Key(string modelRoot, IReadOnlyList<StoredObject> files)
    {
        var text = new StringBuilder(modelRoot);
        foreach (var f in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            text.Append('\n').Append(f.Path).Append('@').Append(f.Version);
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }

    /// <summary>Which ranges of one local file hold fetched bytes; fills of one file are serialized by its gate.</summary>
    private sealed class FileState
    {
        private readonly List<(long Start, long End)> _filled = [];

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public bool Created { get; set; }

        /// <summary>The file's header range, once read (its first 8 bytes are fetched only once).</summary>
        public (long Offset, long Length)? Header { get; set; }

        public bool Covers(long offset, long length) => _filled.Any(r => r.Start <= offset && offset + length <= r.End);

        public void Add(long offset, long length) => _filled.Add((offset, offset + length));
    }
}
