using Serilog;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Layers;

namespace WeightWatcher.Cli.Commands;

/// <summary>
/// Says on stderr what a model holds that is not analyzed, so that a model never yields fewer rows than a
/// user expects without a word: counts by reason when some layers are skipped, and exit code 4 with a
/// one-line reason (a <see cref="CliFailure"/>) when nothing at all is left to analyze.
/// </summary>
internal static class SkipReport
{
    /// <summary>
    /// Reports <paramref name="skipped"/> for a model that yielded <paramref name="analyzedLayers"/> layers
    /// (<paramref name="failedLayers"/> more failed).
    /// </summary>
    /// <exception cref="CliFailure">Nothing to analyze: exit code <see cref="CliErrors.NothingToAnalyze"/> with the reason.</exception>
    public static void Report(IModelReader reader, IReadOnlyList<SkippedLayer> skipped, int analyzedLayers, int failedLayers)
    {
        string counts = SkippedLayer.CountsByReason(skipped);
        if (analyzedLayers == 0 && failedLayers == 0)
        {
            string why = SkippedLayer.WhyNothingToAnalyze(reader.Tensors.Count, skipped);
            Log.Debug("Nothing to analyze in {Model}: {Reason}", reader.ModelPath, why);
            throw new CliFailure(CliErrors.NothingToAnalyze, $"{reader.ModelPath}: no layer to analyze: {why}");
        }
        if (skipped.Count > 0)
        {
            int total = analyzedLayers + failedLayers + skipped.Count;
            Log.Information("Skipped {Skipped} of {Total} layers of {Model}: {Counts}", skipped.Count, total, reader.ModelPath, counts);
            Console.Error.WriteLine($"skipped {skipped.Count} of {total} layers with weights: {counts} (see --json for each)");
        }
    }
}
