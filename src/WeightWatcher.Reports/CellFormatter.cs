using System.Globalization;
using System.Text.Json;

namespace WeightWatcher.Reports;

/// <summary>
/// Text forms of table cells as pandas' <c>to_csv</c> writes them: shortest round-trip floats, <c>inf</c>
/// and <c>-inf</c>, an empty cell for NaN and missing values, <c>True</c>/<c>False</c> for booleans.
/// </summary>
public static class CellFormatter
{
    /// <summary>Formats one cell.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        double d when double.IsNaN(d) => "",
        double d when double.IsPositiveInfinity(d) => "inf",
        double d when double.IsNegativeInfinity(d) => "-inf",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        string s => s,
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>
    /// Writes one cell as a JSON property: numbers as numbers, booleans as booleans, null as null, and
    /// NaN and infinities, which JSON cannot hold, as null; anything else as its <see cref="Format"/> text.
    /// </summary>
    public static void WriteJson(Utf8JsonWriter writer, string name, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNull(name);
                break;
            case double d when !double.IsFinite(d):
                writer.WriteNull(name);
                break;
            case double d:
                writer.WriteNumber(name, d);
                break;
            case int i:
                writer.WriteNumber(name, i);
                break;
            case long l:
                writer.WriteNumber(name, l);
                break;
            case bool b:
                writer.WriteBoolean(name, b);
                break;
            default:
                writer.WriteString(name, Format(value));
                break;
        }
    }

    /// <summary>Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).</summary>
    public static string CsvField(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) < 0 ? text : "\"" + text.Replace("\"", "\"\"") + "\"";
}
