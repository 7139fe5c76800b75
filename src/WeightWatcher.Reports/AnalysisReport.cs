using System.Text.Json;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Metrics;

namespace WeightWatcher.Reports;

/// <summary>Writes analysis, describe and ESD results as CSV and JSON in the reference's column contract.</summary>
public static class AnalysisReport
{
    /// <summary>One CSV row per analyzed layer, with exactly the reference's column names and order.</summary>
    public static void WriteLayersCsv(string path, AnalysisResult result) =>
        CsvTableWriter.WriteFile(path, LayerTable.AnalyzeColumns(result.Options), result.Rows, LayerTable.Value);

    /// <summary>One CSV row per layer that would be analyzed (the reference's <c>describe()</c>).</summary>
    public static void WriteDescribeCsv(string path, IReadOnlyList<LayerInfo> layers, AnalysisOptions options) =>
        CsvTableWriter.WriteFile(path, LayerTable.DescribeColumns(options), layers, LayerTable.DescribeValue);

    /// <summary>The summary as <c>summary_metric,value</c> rows (the layout of the golden summary file).</summary>
    public static void WriteSummaryCsv(string path, ModelSummary summary) =>
        CsvTableWriter.WriteFile(path, ["summary_metric", "value"], summary.Values, (kv, c) => c == "summary_metric" ? kv.Key : kv.Value);

    /// <summary>An ESD as <c>index,eigenvalue</c> rows, ascending.</summary>
    public static void WriteEsdCsv(string path, EsdResult esd) =>
        CsvTableWriter.WriteFile(path, ["index", "eigenvalue"], esd.Evals.Select((v, i) => (i, v)), (p, c) => c == "index" ? p.i : p.v);

    /// <summary>
    /// The whole result as JSON: model, options, the spectral backend that ran (provider, OpenBLAS version,
    /// kernel family and who chose it, precision), timings, summary, layers (objects keyed by the reference's
    /// column names, in its order), failures and skipped layers (with their reason). NaN and infinities, which
    /// JSON cannot hold, are written as null.
    /// </summary>
    public static void WriteJson(string path, AnalysisResult result, WeightWatcher.Core.Spectral.BackendInfo? backend = null)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("model", result.ModelPath);
        w.WritePropertyName("options");
        JsonSerializer.Serialize(w, result.Options, OptionsJson);
        if (backend is not null)
        {
            w.WriteStartObject("backend");
            w.WriteString("provider", backend.Provider);
            w.WriteString("openblas_version", backend.OpenBlasVersion);
            w.WriteString("kernel_family", backend.KernelFamily);
            w.WriteString("kernel_source", backend.KernelSource);
            w.WriteString("precision", backend.Precision);
            w.WriteString("description", backend.ToString());
            w.WriteEndObject();
        }
        w.WriteStartObject("timings_seconds");
        w.WriteNumber("read", result.Timings.Read);
        w.WriteNumber("matrices", result.Timings.Matrices);
        w.WriteNumber("spectra", result.Timings.Spectra);
        w.WriteNumber("fit", result.Timings.Fit);
        w.WriteNumber("metrics", result.Timings.Metrics);
        w.WriteNumber("wall", result.Timings.Wall);
        w.WriteEndObject();
        w.WriteStartObject("summary");
        foreach (var (name, value) in result.Summary.Values)
        {
            CellFormatter.WriteJson(w, name, value);
        }
        w.WriteEndObject();
        w.WriteStartArray("layers");
        var columns = LayerTable.AnalyzeColumns(result.Options);
        foreach (var row in result.Rows)
        {
            w.WriteStartObject();
            foreach (var c in columns)
            {
                CellFormatter.WriteJson(w, c, LayerTable.Value(row, c));
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("failures");
        foreach (var f in result.Failures)
        {
            w.WriteStartObject();
            w.WriteNumber("layer_id", f.Layer.LayerId);
            w.WriteString("name", f.Layer.Name);
            w.WriteString("reason", f.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("skipped");
        foreach (var s in result.Skipped)
        {
            w.WriteStartObject();
            w.WriteNumber("layer_id", s.Layer.LayerId);
            w.WriteString("name", s.Layer.Name);
            w.WriteString("tensor", s.Layer.Tensor.Name);
            w.WriteStartArray("shape");
            foreach (long d in s.Layer.Tensor.Shape)
            {
                w.WriteNumberValue(d);
            }
            w.WriteEndArray();
            w.WriteString("dtype", Core.Tensors.DTypes.DisplayName(s.Layer.Tensor.DType));
            w.WriteString("reason", LayerSkip.Code(s.Reason.Kind));
            w.WriteString("detail", s.Reason.Detail);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static readonly JsonSerializerOptions OptionsJson = new()
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
