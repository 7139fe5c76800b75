using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats;

/// <summary>
/// A model opened for analysis: its tensor headers are known up front, tensor bytes are read on demand
/// by byte range, so a model never has to fit in memory.
/// </summary>
public interface IModelReader : IDisposable
{
    /// <summary>The path the model was opened from (file or directory).</summary>
    string ModelPath { get; }

    /// <summary>Short format name, e.g. <c>safetensors</c>, <c>npz</c>.</summary>
    string FormatName { get; }

    /// <summary>Tensors in the order the reference tool enumerates them for this format.</summary>
    IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>
    /// Reads one tensor's elements, widened to double, in row-major order of its shape, into
    /// <paramref name="destination"/> (exactly its element count long), so that callers can reuse buffers
    /// across tensors. The one member every reader implements.
    /// </summary>
    /// <exception cref="ModelFormatException">The bytes cannot be read as the header claims.</exception>
    /// <exception cref="ArgumentException">The tensor is not this model's, or the destination has another length.</exception>
    void ReadTensor(TensorInfo tensor, Span<double> destination);

    /// <summary>
    /// The layers as the reference enumerates this format, when that differs from the state-dict rules
    /// (ONNX, Keras, TF.js layers); null (the default) means: apply the state-dict rules to
    /// <see cref="Tensors"/>.
    /// </summary>
    IReadOnlyList<Layers.LayerCandidate>? DeclaredLayers => null;
}

/// <summary>What every <see cref="IModelReader"/> offers on top of its one read member.</summary>
public static class ModelReaderExtensions
{
    /// <summary>
    /// Reads one tensor's elements into a new array (see <see cref="IModelReader.ReadTensor(TensorInfo, Span{double})"/>);
    /// callers that analyze many tensors rent and reuse buffers instead.
    /// </summary>
    /// <exception cref="ModelFormatException">The shape is too large to materialise, or the bytes cannot be read.</exception>
    public static double[] ReadTensor(this IModelReader reader, TensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(reader);
        // Every element is overwritten, so the array need not be zeroed first.
        var result = GC.AllocateUninitializedArray<double>(TensorReads.ElementCount(tensor));
        reader.ReadTensor(tensor, result);
        return result;
    }
}
