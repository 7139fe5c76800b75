using WeightWatcher.Core.Fitting;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Core.Metrics;

/// <summary>Every metric of one analyzed row (a layer, or a conv slice with <c>pool=false</c>).</summary>
/// <param name="Layer">The layer (and slice) analyzed.</param>
/// <param name="Spectrum">Its pooled ESD and per-matrix bookkeeping.</param>
/// <param name="Tail">The power-law fit of the ESD tail.</param>
/// <param name="Norms">Scale and shape metrics.</param>
/// <param name="Mp">Marchenko-Pastur fit, when requested.</param>
/// <param name="Random">Randomization metrics, when requested.</param>
/// <param name="DetX">detX, when requested.</param>
public sealed record LayerResult(
    LayerInfo Layer,
    LayerSpectrum Spectrum,
    TailFit Tail,
    NormMetrics Norms,
    MpFitResult? Mp = null,
    RandomizationMetrics? Random = null,
    DetX? DetX = null)
{
    /// <summary>The fitted alpha (-1 when the fit failed).</summary>
    public double Alpha => Tail.Fit.Alpha;

    /// <summary>alpha * log10(lambda_max): the paper's "alpha-hat".</summary>
    public double AlphaWeighted => Alpha * Math.Log10(Spectrum.LambdaMax);

    /// <summary>log10 of sum(lambda^alpha) over all eigenvalues.</summary>
    public double LogAlphaNorm
    {
        get
        {
            var powered = Spectrum.Evals.Select(v => Math.Pow(v, Alpha)).ToArray();
            return Math.Log10(NumpySum.Pairwise(powered));
        }
    }

    /// <summary>The reference's <c>warning</c>: over-trained below 2, under-trained above 6, else empty.</summary>
    public string Warning => Alpha < 2.0 ? "over-trained" : Alpha > 6.0 ? "under-trained" : "";
}
