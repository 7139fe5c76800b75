using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.Gguf;

/// <summary>
/// Reads a GGUF file (llama.cpp, versions 2 and 3). Tensors keep their GGUF names (e.g.
/// <c>blk.0.attn_q.weight</c>) and file order, so layers follow the state-dict rules (ids from 1 over every
/// <c>.weight</c> key). Shapes are row-major: GGUF lists <c>ne[0]</c> (the fastest-varying dimension)
/// first, so a GGUF <c>[in, out]</c> matrix is presented as <c>(out, in)</c>, as PyTorch holds it.
/// F32, F16, BF16 and F64 tensors are plain arrays; integer tensors are read and skipped by the layer rules;
/// Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K and Q6_K tensors are presented as float32 and dequantized on
/// read exactly as ggml does. Other quantized types are listed but refused when read.
/// </summary>
public sealed class GgufReader : IModelReader
{
    private readonly FileRangeReader _io = new();
    private readonly Dictionary<string, GgufTensor> _byName = new(StringComparer.Ordinal);

    private GgufReader(string file)
    {
        ModelPath = file;
    }

    /// <inheritdoc />
    public string ModelPath { get; }

    /// <inheritdoc />
    public string FormatName => "gguf";

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Tensors { get; private set; } = [];

    /// <summary>The parsed header: version, metadata, alignment and the ggml type of every tensor.</summary>
    public GgufHeader Header { get; private set; } = null!;

    /// <summary>Opens a GGUF file and reads its header.</summary>
    /// <exception cref="ModelFormatException">The file is not a readable GGUF v2/v3 file.</exception>
    public static GgufReader Open(string file)
    {
        var r = new GgufReader(file);
        try
        {
            r.Header = GgufHeader.Read(r._io, file);
            foreach (var t in r.Header.Tensors)
            {
                r._byName.Add(t.Info.Name, t);
            }
            r.Tensors = r.Header.Tensors.Select(t => t.Info).ToList();
            return r;
        }
        catch
        {
            r.Dispose();
            throw;
        }
    }

    /// <summary>The ggml type a tensor of this file is stored in.</summary>
    public GgmlType GgmlTypeOf(TensorInfo tensor) => Entry(tensor).Type;

    /// <inheritdoc />
    public void ReadTensor(TensorInfo tensor, Span<double> destination)
    {
        var entry = Entry(tensor);
        if (GgmlTypes.IsPlain(entry.Type))
        {
            _io.ReadAsDouble(tensor, destination);
            return;
        }
        TensorReads.RequireLength(tensor, destination, CheckQuantized(entry));
        Dequantize(entry, destination);
    }

    private GgufTensor Entry(TensorInfo tensor) => TensorReads.Entry(_byName, tensor, e => e.Info);

    private long CheckQuantized(GgufTensor entry)
    {
        var t = entry.Info;
        if (!GgmlTypes.CanDequantize(entry.Type))
        {
            throw new ModelFormatException(t.SourceFile, t.Name, $"ggml type {entry.Type} is not supported (readable quantized types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)");
        }
        int count = TensorReads.ElementCount(t);
        _io.RequireInFile(t.SourceFile, t.Name, t.Offset, t.ByteLength);
        return count;
    }

    private void Dequantize(GgufTensor entry, Span<double> destination)
    {
        var t = entry.Info;
        var (blockSize, typeSize) = GgmlTypes.Layout((uint)entry.Type)!.Value;
        TensorReads.DecodeInChunks(
            t.ByteLength / typeSize, typeSize, blockSize, destination,
            (offset, bytes) => _io.ReadExactly(t.SourceFile, t.Offset + offset, bytes),
            (bytes, values) => GgmlDequantizer.Dequantize(entry.Type, bytes, values));
    }

    /// <inheritdoc />
    public void Dispose() => _io.Dispose();
}
