using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Layers;

/// <summary>
/// Cuts a layer's weight tensor into the matrices whose spectra are analyzed, and applies the
/// reference's Conv2D normalization (<c>apply_normalize_Wmats</c>).
/// </summary>
public static class MatrixExtractor
{
    /// <summary>
    /// The matrices of <paramref name="layer"/> from its row-major elements (the first elements of
    /// <paramref name="data"/>, which may be a longer pooled array): the tensor itself for dense
    /// layers; the kh*kw slices (i-major) for Conv2D, or just slice <see cref="LayerInfo.SliceId"/>.
    /// With <paramref name="conv2dNorm"/>, Conv2D matrices are multiplied by sqrt(c/2), c = 1 pooled and
    /// c = kh*kw per slice: pooled eigenvalues are halved, 3x3 slice eigenvalues multiplied by 4.5.
    /// </summary>
    public static IReadOnlyList<WeightMatrix> Extract(LayerInfo layer, double[] data, bool conv2dNorm)
    {
        var shape = layer.Tensor.Shape;
        if (layer.Type != LayerType.Conv2D)
        {
            // A row-major rows x cols array is, unchanged, the column-major cols x rows transpose: the same
            // singular values, no copy.
            int rows = (int)shape[0], cols = (int)shape[1];
            return [new WeightMatrix(cols, rows, data)];
        }
        var slices = new List<WeightMatrix>();
        var (kh, kw) = layer.Kernel;
        for (int i = 0; i < kh; i++)
        {
            for (int j = 0; j < kw; j++)
            {
                int sliceId = (i * kw) + j;
                if (layer.SliceId is { } only && only != sliceId)
                {
                    continue;
                }
                slices.Add(layer.Layout == ConvLayout.First
                    ? SliceFirst(data, shape, i, j)
                    : SliceLast(data, shape, i, j));
            }
        }
        if (conv2dNorm)
        {
            double count = layer.SliceId is null ? 1 : layer.Rf;
            double factor = Math.Sqrt(count / 2.0);
            bool float32 = layer.Tensor.DType is DType.F32 or DType.F16 or DType.BF16;
            foreach (var m in slices)
            {
                Scale(m.Elements, factor, float32);
            }
        }
        return slices;
    }

    /// <summary>
    /// Multiplies in place. The reference holds float32 weights as float32 numpy arrays and numpy keeps a
    /// float32 array float32 when multiplied by a Python scalar, so the product is rounded to float32
    /// (with the factor itself rounded to float32) before the float64 SVD; doing the same keeps parity.
    /// </summary>
    private static void Scale(Span<double> values, double factor, bool float32)
    {
        if (float32)
        {
            float f = (float)factor;
            for (int k = 0; k < values.Length; k++)
            {
                values[k] = (float)values[k] * f;
            }
        }
        else
        {
            for (int k = 0; k < values.Length; k++)
            {
                values[k] *= factor;
            }
        }
    }

    /// <summary>Slice W[:, :, i, j] of an (out, in, kh, kw) tensor: an out x in matrix.</summary>
    private static WeightMatrix SliceLast(double[] data, long[] s, int i, int j)
    {
        int outCh = (int)s[0], inCh = (int)s[1], kh = (int)s[2], kw = (int)s[3];
        var values = new double[outCh * inCh];
        for (int o = 0; o < outCh; o++)
        {
            for (int c = 0; c < inCh; c++)
            {
                values[o + (c * outCh)] = data[(((o * inCh) + c) * kh + i) * kw + j];
            }
        }
        return new WeightMatrix(outCh, inCh, values);
    }

    /// <summary>Slice W[i, j, :, :] of a (kh, kw, in, out) tensor: an in x out matrix.</summary>
    private static WeightMatrix SliceFirst(double[] data, long[] s, int i, int j)
    {
        int kw = (int)s[1], inCh = (int)s[2], outCh = (int)s[3];
        var values = new double[inCh * outCh];
        long baseIndex = ((long)i * kw + j) * inCh * outCh;
        for (int c = 0; c < inCh; c++)
        {
            for (int o = 0; o < outCh; o++)
            {
                values[c + (o * inCh)] = data[baseIndex + (c * outCh) + o];
            }
        }
        return new WeightMatrix(inCh, outCh, values);
    }
}
