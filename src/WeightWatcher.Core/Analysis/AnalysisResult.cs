using WeightWatcher.Core.Fitting;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Metrics;

namespace WeightWatcher.Core.Analysis;

/// <summary>A layer that could not be analyzed, and why (the rest of the model still is).</summary>
/// <param name="Layer">The layer concerned.</param>
/// <param name="Reason">One line naming the file, the tensor and the reason.</param>
public sealed record LayerFailure(LayerInfo Layer, string Reason);

/// <summary>The result of analyzing one model.</summary>
/// <param name="ModelPath">The model analyzed.</param>
/// <param name="Options">The options used.</param>
/// <param name="Rows">Analyzed rows in layer-id (then slice) order.</param>
/// <param name="Failures">Layers that failed, in layer-id order.</param>
/// <param name="Summary">Per-model averages (the reference's <c>get_summary</c>).</param>
/// <param name="Timings">Time per stage.</param>
public sealed record AnalysisResult(
    string ModelPath,
    AnalysisOptions Options,
    IReadOnlyList<LayerResult> Rows,
    IReadOnlyList<LayerFailure> Failures,
    ModelSummary Summary,
    AnalysisTimings Timings)
{
    /// <summary>Layers with weights that were not analyzed, in id order, each with its reason.</summary>
    public IReadOnlyList<SkippedLayer> Skipped { get; init; } = [];
}

/// <summary>One layer's ESD and fit, as <c>ww esd</c> shows it.</summary>
/// <param name="Layer">The layer.</param>
/// <param name="Evals">Eigenvalues, ascending (conv-scaled when conv2d_norm is on).</param>
/// <param name="Tail">The power-law fit of those eigenvalues.</param>
public sealed record EsdResult(LayerInfo Layer, double[] Evals, TailFit Tail);

/// <summary>Progress of an analysis: rows finished so far out of the total.</summary>
/// <param name="Done">Layers finished (analyzed or failed).</param>
/// <param name="Total">Layers to analyze.</param>
/// <param name="LayerName">The layer just finished.</param>
public readonly record struct AnalysisProgress(int Done, int Total, string LayerName);

/// <summary>Thrown for a layer whose weights cannot be analyzed (e.g. NaN or infinite values).</summary>
public sealed class LayerAnalysisException(string message) : Exception(message);
