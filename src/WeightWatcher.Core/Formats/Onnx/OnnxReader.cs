using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.Onnx;

/// <summary>
/// Reads an ONNX model (<c>ModelProto</c>, protobuf). The tensors are the entries of
/// <c>graph.initializer</c>; their values are read on demand from the model file (<c>raw_data</c> or a
/// typed field) or from external data files next to it, never all at once.
/// <para>
/// Layers follow the reference's ONNX rules: one layer per initializer, biases included, with the
/// initializer's index as layer id (from 0; <c>start_ids</c> does not apply), its name as <c>name</c> and
/// <c>longname</c>, typed by rank (2-D dense, 4-D Conv2D with channels-first layout, else unknown).
/// Initializers whose element type cannot be widened to double (string, complex, 8- and 4-bit floats and
/// integers) keep their id but are not in <see cref="Tensors"/> and declare no weight.
/// </para>
/// <para>
/// A tensor's <see cref="TensorInfo.Offset"/> and <see cref="TensorInfo.ByteLength"/> are its exact byte
/// range for <c>raw_data</c> and external data. For values kept in a typed field (varints or one tag per
/// value), the offset is where the field starts and the length the size of the decoded elements: such
/// tensors are read only through <see cref="ReadTensor(TensorInfo, Span{double})"/>, which decodes the field.
/// </para>
/// </summary>
public sealed class OnnxReader : IModelReader
{
    private readonly FileRangeReader _io = new();
    private readonly Dictionary<TensorInfo, OnnxTypedField> _typed = new(ReferenceEqualityComparer.Instance);

    private OnnxReader(string path)
    {
        ModelPath = path;
    }

    /// <inheritdoc />
    public string ModelPath { get; }

    /// <inheritdoc />
    public string FormatName => "onnx";

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Tensors { get; private set; } = [];

    /// <inheritdoc />
    public IReadOnlyList<LayerCandidate>? DeclaredLayers { get; private set; }

    /// <summary>Opens an <c>.onnx</c> file, reading its initializer metadata and checking every initializer's byte range.</summary>
    /// <exception cref="ModelFormatException">The file is not a well-formed ONNX model or an initializer is inconsistent.</exception>
    public static OnnxReader Open(string file)
    {
        var r = new OnnxReader(file);
        try
        {
            var initializers = OnnxModelScanner.Scan(file, r._io);
            var tensors = new List<TensorInfo>(initializers.Count);
            var layers = new List<LayerCandidate>(initializers.Count);
            foreach (var init in initializers)
            {
                var (tensor, typed) = OnnxTensorResolver.Resolve(file, init, r._io);
                if (tensor is not null)
                {
                    tensors.Add(tensor);
                    if (typed is not null)
                    {
                        r._typed[tensor] = typed;
                    }
                }
                layers.Add(new LayerCandidate(init.Index, init.Name, init.Name, TypeByRank(init.Dims.Count), tensor, ConvLayout.Last));
            }
            r.Tensors = tensors;
            r.DeclaredLayers = layers;
            return r;
        }
        catch
        {
            r.Dispose();
            throw;
        }
    }

    /// <summary>The reference's ONNX typing: by rank only.</summary>
    private static LayerType TypeByRank(int rank) => rank switch
    {
        2 => LayerType.Dense,
        4 => LayerType.Conv2D,
        _ => LayerType.Unknown,
    };

    /// <inheritdoc />
    public void ReadTensor(TensorInfo tensor, Span<double> destination)
    {
        if (_typed.TryGetValue(tensor, out var typed))
        {
            var values = OnnxTypedDataDecoder.Decode(tensor, typed);
            TensorReads.RequireLength(tensor, destination, values.Length);
            values.CopyTo(destination);
            return;
        }
        _io.ReadAsDouble(tensor, destination);
    }

    /// <inheritdoc />
    public void Dispose() => _io.Dispose();
}
