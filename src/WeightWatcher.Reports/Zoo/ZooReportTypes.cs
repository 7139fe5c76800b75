using WeightWatcher.Core.Regression;

namespace WeightWatcher.Reports.Zoo;

/// <summary>One model's analyzed layer rows, as the cluster collects them.</summary>
/// <param name="Model">The model's name (its catalog name when there is a catalog).</param>
/// <param name="Rows">Analyzed rows in layer order, as column-to-value maps with the layer table's column names.</param>
/// <param name="FailedLayers">Layers that could not be analyzed.</param>
public sealed record ZooLayerRows(string Model, IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows, int FailedLayers)
{
    /// <summary>Layers with weights that were not analyzed (other ranks, layer classes, <c>min_evals</c> ...).</summary>
    public int SkippedLayers { get; init; }
}

/// <summary>What a zoo report is built from.</summary>
/// <param name="Models">The analyzed models; names must be unique.</param>
/// <param name="Catalog">Series and accuracies of the models, or null when the zoo has none.</param>
/// <param name="LayerColumns">The layer columns to write, in the layer table's order (<c>LayerTable.AnalyzeColumns</c>).</param>
public sealed record ZooReportInput(IReadOnlyList<ZooLayerRows> Models, ZooCatalog? Catalog, IReadOnlyList<string> LayerColumns);

/// <summary>A report file's name and content, for the caller to store.</summary>
/// <param name="Name">The file name, e.g. <c>models.csv</c>.</param>
/// <param name="Content">The bytes (UTF-8 text without byte-order mark for CSV and JSON).</param>
public sealed record ReportFile(string Name, byte[] Content);

/// <summary>One metric's regression of accuracy within one series.</summary>
/// <param name="Series">The series.</param>
/// <param name="Metric">The summary metric used as predictor.</param>
/// <param name="Fit">Accuracy (y) regressed on the models' mean metric (x).</param>
public sealed record SeriesRow(string Series, string Metric, RegressionResult Fit);
