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

    /// <summary>Reads one tensor's elements, widened to double, in row-major order of its shape.</summary>
    /// <exception cref="ModelFormatException">The bytes cannot be read as the header claims.</exception>
    double[] ReadTensor(TensorInfo tensor);

    /// <summary>
    /// Reads one tensor's elements into <paramref name="destination"/> (exactly its element count long),
    /// so that callers can reuse buffers across tensors.
    /// </summary>
    /// <exception cref="ModelFormatException">The bytes cannot be read as the header claims.</exception>
    void ReadTensor(TensorInfo tensor, Span<double> destination) => ReadTensor(tensor).CopyTo(destination);

    /// <summary>
    /// The layers as the reference enumerates this format, when that differs from the state-dict rules
    /// (ONNX, Keras, TF.js layers); null (the default) means: apply the state-dict rules to
    /// <see cref="Tensors"/>.
    /// </summary>
    IReadOnlyList<Layers.LayerCandidate>? DeclaredLayers => null;
}
