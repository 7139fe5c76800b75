using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>
/// A PyTorch model: a <c>torch.save</c> zip file (PyTorch 1.6 and later; <c>.pt</c>, <c>.pth</c>, <c>.bin</c>),
/// a legacy (pre-1.6, non-zip) file such as the CIFAR ResNet <c>.th</c> checkpoints, or a Hugging Face
/// directory of <c>.bin</c> shards with <c>pytorch_model.bin.index.json</c>. Pickles are read by
/// <see cref="RestrictedUnpickler"/>, which never runs code. Tensors are exposed in the state dict's order
/// (see <see cref="StateDictExtractor"/> for checkpoint unwrapping and the <c>'module.'</c> prefix).
/// Contiguous tensors in plain byte ranges (stored zip entries, legacy files) are read by range like
/// safetensors; strided views are gathered from the range their elements span; tensors in deflated zip
/// entries are streamed.
/// </summary>
public sealed class PyTorchReader : IModelReader
{
    private readonly FileRangeReader _io = new();
    private readonly Dictionary<TensorInfo, TorchTensorEntry> _entries = new(ReferenceEqualityComparer.Instance);

    internal PyTorchReader(string path, string format, IReadOnlyList<TorchTensorEntry> entries)
    {
        ModelPath = path;
        FormatName = format;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (!names.Add(e.Info.Name))
            {
                throw new ModelFormatException(path, e.Info.Name, "the model holds this tensor more than once");
            }
            _entries[e.Info] = e;
        }
        Tensors = entries.Select(e => e.Info).ToList();
    }

    /// <inheritdoc />
    public string ModelPath { get; }

    /// <inheritdoc />
    public string FormatName { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>Opens a PyTorch zip file (content starting with a zip local header and holding <c>*/data.pkl</c>).</summary>
    /// <param name="file">The file.</param>
    /// <param name="stripDataParallelPrefix">Remove a <c>'module.'</c> prefix that every tensor key carries (see <see cref="StateDictExtractor"/>).</param>
    public static PyTorchReader OpenZip(string file, bool stripDataParallelPrefix = true) =>
        new(file, "pytorch", Strip(TorchZipLoader.Load(file), stripDataParallelPrefix));

    /// <summary>Opens a legacy (pre-1.6, non-zip) PyTorch file.</summary>
    /// <param name="file">The file.</param>
    /// <param name="stripDataParallelPrefix">Remove a <c>'module.'</c> prefix that every tensor key carries (see <see cref="StateDictExtractor"/>).</param>
    public static PyTorchReader OpenLegacy(string file, bool stripDataParallelPrefix = true) =>
        new(file, "pytorch-legacy", Strip(TorchLegacyLoader.Load(file), stripDataParallelPrefix));

    /// <summary>Opens any single PyTorch file, zip or legacy, by its first bytes.</summary>
    public static PyTorchReader OpenFile(string file, bool stripDataParallelPrefix = true) =>
        TorchLegacyLoader.HasLegacyMagic(file) ? OpenLegacy(file, stripDataParallelPrefix) : OpenZip(file, stripDataParallelPrefix);

    /// <summary>
    /// Opens a Hugging Face directory through its <c>pytorch_model.bin.index.json</c>; see
    /// <see cref="PyTorchShardedLoader"/> for the order of tensors and ids across shards.
    /// </summary>
    public static PyTorchReader OpenIndex(string directory, bool stripDataParallelPrefix = true) =>
        new(directory, "pytorch-sharded", Strip(PyTorchShardedLoader.Load(directory), stripDataParallelPrefix));

    private static List<TorchTensorEntry> Strip(List<TorchTensorEntry> entries, bool strip) =>
        strip ? StateDictExtractor.StripDataParallelPrefix(entries) : entries;

    /// <summary>
    /// True when <paramref name="file"/> is a zip whose central directory lists a <c>&lt;name&gt;/data.pkl</c>
    /// entry (a <c>torch.save</c> file); false for other zips and for files that are not readable zips.
    /// </summary>
    public static bool IsPyTorchZip(string file)
    {
        try
        {
            return TorchZipLoader.IsTorchZip(ZipDirectory.Read(file).Select(e => e.Name));
        }
        catch (ModelFormatException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="head"/>, the first bytes of a file, start a legacy PyTorch file (PROTO 2-5, then the magic number).</summary>
    public static bool HasLegacyMagic(ReadOnlySpan<byte> head) => TorchLegacyLoader.HasLegacyMagic(head);

    /// <inheritdoc />
    public void ReadTensor(TensorInfo tensor, Span<double> destination)
    {
        if (!_entries.TryGetValue(tensor, out var entry))
        {
            throw new ArgumentException($"tensor '{tensor.Name}' does not belong to this model", nameof(tensor));
        }
        int count = TensorReads.PlainElementCount(tensor);
        TensorReads.RequireLength(tensor, destination, count);
        if (count == 0)
        {
            return;
        }
        if (entry.Storage.DeflatedEntry is null && entry.View.IsContiguous)
        {
            _io.ReadAsDouble(tensor, destination);
            return;
        }
        ReadSpanAndGather(entry, destination);
    }

    /// <summary>Reads the storage elements the view spans, then picks the view's elements in row-major order.</summary>
    private void ReadSpanAndGather(TorchTensorEntry entry, Span<double> destination)
    {
        var view = entry.View;
        var t = entry.Info;
        long span = 1;
        for (int k = 0; k < view.Shape.Length; k++)
        {
            span += (view.Shape[k] - 1) * view.Stride[k];
        }
        if (span > ReaderLimits.MaxTensorElements)
        {
            throw new ModelFormatException(t.SourceFile, t.Name, $"strided view spans {span} storage elements, more than the limit of {ReaderLimits.MaxTensorElements}");
        }
        // Decoded in chunks: the storage's bytes may exceed the largest byte array even when its elements
        // fit in doubles (2^28 float64 elements are 2^31 bytes).
        var values = view.IsContiguous ? destination : new double[span];
        int size = DTypes.SizeOf(t.DType);
        if (entry.Storage.DeflatedEntry is { } zipEntry)
        {
            using var s = ZipDirectory.OpenEntry(t.SourceFile, zipEntry);
            Skip(t.SourceFile, zipEntry, s, t.Offset);
            // An entry stream reads forward only: the chunks come in order, so the offsets need no seeking.
            TensorReads.DecodeInChunks(span, size, 1, values,
                (_, bytes) => ZipDirectory.ReadEntryExactly(t.SourceFile, zipEntry, s, bytes),
                (bytes, decoded) => ElementConverter.ToDouble(bytes, t.DType, decoded));
        }
        else
        {
            TensorReads.DecodeInChunks(span, size, 1, values,
                (offset, bytes) => _io.ReadExactly(t.SourceFile, t.Offset + offset, bytes),
                (bytes, decoded) => ElementConverter.ToDouble(bytes, t.DType, decoded));
        }
        if (!view.IsContiguous)
        {
            TensorReads.Gather(values, view.Shape, view.Stride, destination);
        }
    }

    private static void Skip(string file, ZipEntryInfo e, Stream s, long count)
    {
        var buffer = new byte[Math.Min(count, 1 << 20)];
        while (count > 0)
        {
            int n = (int)Math.Min(count, buffer.Length);
            ZipDirectory.ReadEntryExactly(file, e, s, buffer.AsSpan(0, n));
            count -= n;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _io.Dispose();
}
