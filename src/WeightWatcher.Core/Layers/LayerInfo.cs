using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Layers;

/// <summary>Axis layout of a 4-D convolution kernel.</summary>
public enum ConvLayout
{
    /// <summary>Channels first, kernel last: (out, in, kh, kw), as PyTorch, ONNX and state dicts store it.</summary>
    Last,
    /// <summary>Kernel first: (kh, kw, in, out), as Keras stores it.</summary>
    First,
}

/// <summary>
/// One layer (or, with <c>pool=false</c>, one conv slice) as the reference describes it from headers
/// alone: ids, names, type and the shape quantities N, M, rf. Layers that are not analyzed carry a
/// <see cref="Skip"/> reason.
/// </summary>
/// <param name="LayerId">Reference layer id (state dicts: from 1, counting every <c>.weight</c> key).</param>
/// <param name="Name">Key without the <c>.weight</c> suffix.</param>
/// <param name="LongName">Same as <paramref name="Name"/> for state-dict inputs.</param>
/// <param name="Type">Layer type (from the tensor rank, or the framework's layer class).</param>
/// <param name="Tensor">The weight tensor header.</param>
/// <param name="N">The reference's N (the larger dimension, except its even-kernel and flip rules, see <see cref="LayerEnumerator.ConvDimensions"/>).</param>
/// <param name="M">The reference's M (same caveat).</param>
/// <param name="Rf">Receptive field: the number of Conv2D slices, else 1.</param>
/// <param name="Layout">For Conv2D, the framework's expected layout, which decides how the kernel is sliced:
/// <see cref="ConvLayout.Last"/> slices <c>W[:, :, i, j]</c>, <see cref="ConvLayout.First"/> slices <c>W[i, j, :, :]</c>; null otherwise.</param>
/// <param name="SliceId">Conv slice index (i-major) for <c>pool=false</c> rows; null when pooled.</param>
/// <param name="SliceEvals">Eigenvalues per slice (the smaller dimension of one slice); null means <paramref name="M"/>.</param>
/// <param name="Skip">Why the layer is not analyzed, or null when its type and weight qualify (filters aside).</param>
public sealed record LayerInfo(
    int LayerId,
    string Name,
    string LongName,
    LayerType Type,
    TensorInfo Tensor,
    int N,
    int M,
    int Rf,
    ConvLayout? Layout = null,
    int? SliceId = null,
    int? SliceEvals = null,
    LayerSkip? Skip = null)
{
    /// <summary>Aspect ratio N/M, or -1 when M is 0.</summary>
    public double Q => M == 0 ? -1 : (double)N / M;

    /// <summary>
    /// The number of eigenvalues the analysis yields: rf times the per-slice count pooled, the per-slice count
    /// for a slice row. Equal to M·rf except where the reference's N and M are not the slice's larger and
    /// smaller dimensions (the even-kernel quirk, the flip paths).
    /// </summary>
    public int NumEvals => (SliceEvals ?? M) * (SliceId is null ? Rf : 1);

    /// <summary>The reference's <c>num_components</c>, M·rf: what its <c>min_evals</c>/<c>max_evals</c> filters compare (pooled).</summary>
    public long NumComponents => (long)M * Rf;

    /// <summary>Kernel height and width for Conv2D (1, 1 otherwise): the axes the slices iterate over.</summary>
    public (int Kh, int Kw) Kernel => Type != LayerType.Conv2D
        ? (1, 1)
        : Layout == ConvLayout.First ? ((int)Tensor.Shape[0], (int)Tensor.Shape[1]) : ((int)Tensor.Shape[2], (int)Tensor.Shape[3]);

    /// <summary>The <c>plot_id</c> / display id: <c>layer_id</c>, or <c>layer_id:slice_id</c> for slices.</summary>
    public string DisplayId => SliceId is null ? LayerId.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{LayerId}:{SliceId}";
}
