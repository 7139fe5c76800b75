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
/// One layer (or, with <c>pool=false</c>, one conv slice) that the reference would analyze, described
/// from headers alone: ids, names, type and the shape quantities N, M, rf.
/// </summary>
/// <param name="LayerId">Reference layer id (state dicts: from 1, counting every <c>.weight</c> key).</param>
/// <param name="Name">Key without the <c>.weight</c> suffix.</param>
/// <param name="LongName">Same as <paramref name="Name"/> for state-dict inputs.</param>
/// <param name="Type">Layer type, from the tensor rank.</param>
/// <param name="Tensor">The weight tensor header.</param>
/// <param name="N">Larger matrix dimension (except the reference's even-kernel quirk, see <see cref="LayerEnumerator"/>).</param>
/// <param name="M">Smaller matrix dimension (same caveat).</param>
/// <param name="Rf">Receptive field: kh*kw for Conv2D, else 1.</param>
/// <param name="Layout">Conv2D axis layout, null otherwise.</param>
/// <param name="SliceId">Conv slice index (i-major over kh, kw) for <c>pool=false</c> rows; null when pooled.</param>
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
    int? SliceId = null)
{
    /// <summary>Aspect ratio N/M, or -1 when M is 0.</summary>
    public double Q => M == 0 ? -1 : (double)N / M;

    /// <summary>Eigenvalue count the reference expects: M for a slice row, M*rf pooled.</summary>
    public int NumEvals => SliceId is null ? M * Rf : M;

    /// <summary>Kernel height and width for Conv2D (1, 1 otherwise).</summary>
    public (int Kh, int Kw) Kernel => Type != LayerType.Conv2D
        ? (1, 1)
        : Layout == ConvLayout.First ? ((int)Tensor.Shape[0], (int)Tensor.Shape[1]) : ((int)Tensor.Shape[2], (int)Tensor.Shape[3]);

    /// <summary>The <c>plot_id</c> / display id: <c>layer_id</c>, or <c>layer_id:slice_id</c> for slices.</summary>
    public string DisplayId => SliceId is null ? LayerId.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{LayerId}:{SliceId}";
}
