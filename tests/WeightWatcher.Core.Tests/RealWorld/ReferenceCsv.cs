using System.Globalization;
using System.Text;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Metrics;

namespace WeightWatcher.Core.Tests.RealWorld;

/// <summary>
/// A per-layer CSV written by the reference tool (pandas <c>to_csv(index=False)</c>, floats at full
/// precision): its columns and rows as text. Fields may be quoted; numbers are parsed later with .NET's
/// correctly rounding parser.
/// </summary>
public sealed record ReferenceCsv(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyDictionary<string, string>> Rows)
{
    public static ReferenceCsv Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        Assert.NotEmpty(lines);
        var columns = SplitFields(lines[0]);
        var rows = lines.Skip(1).Select(line =>
        {
            var cells = SplitFields(line);
            Assert.True(cells.Count == columns.Count, $"{path}: {cells.Count} fields, header has {columns.Count}: {line}");
            return (IReadOnlyDictionary<string, string>)columns.Zip(cells).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        }).ToList();
        return new ReferenceCsv(columns, rows);
    }

    private static List<string> SplitFields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }
        fields.Add(field.ToString());
        return fields;
    }
}

/// <summary>How one reference CSV is matched to our rows.</summary>
/// <param name="OurName">Our layer name for a reference row's name (the routes name layers differently).</param>
/// <param name="SwappedNm">Our layer names whose N and M come out swapped relative to the reference row
/// (and Q inverted): derived by the caller from the layer's shapes, never listed by hand.</param>
/// <param name="CompareLayerIds">Whether <c>layer_id</c> must match too (only when both sides number the
/// same way).</param>
public sealed record ReferenceMatching(Func<string, string> OurName, IReadOnlySet<string> SwappedNm, bool CompareLayerIds)
{
    public static ReferenceMatching ByName { get; } = new(n => n, new HashSet<string>(), false);
}

/// <summary>
/// Compares our analysis with a reference CSV: the same set of analyzed layers, matched by name; every
/// reference column present in our table; floats to a relative tolerance, integers, booleans and strings
/// exactly. <c>sv_min</c> of rank-deficient layers (reference <c>rank_loss</c> &gt; 0) is rounding noise and
/// is not compared. Collects every mismatch instead of stopping at the first, and the worst relative
/// error per float column.
/// </summary>
public sealed class ReferenceComparison
{
    private static readonly HashSet<string> NameColumns = new(StringComparer.Ordinal) { "layer_id", "name", "longname" };

    private readonly Dictionary<string, double> _worst = new(StringComparer.Ordinal);
    private readonly List<string> _mismatches = [];

    private ReferenceComparison(string label, double tolerance)
    {
        Label = label;
        Tolerance = tolerance;
    }

    public string Label { get; }

    public double Tolerance { get; }

    public int RowsCompared { get; private set; }

    public IReadOnlyDictionary<string, double> WorstRelativeError => _worst;

    public IReadOnlyList<string> Mismatches => _mismatches;

    public static ReferenceComparison Compare(string label, ReferenceCsv reference, AnalysisResult ours, ReferenceMatching matching, double tolerance = 1e-6)
    {
        var c = new ReferenceComparison(label, tolerance);
        var columns = LayerTable.AnalyzeColumns(ours.Options);
        foreach (var column in reference.Columns.Where(col => !columns.Contains(col)))
        {
            c._mismatches.Add($"reference column '{column}' is not in our table");
        }
        foreach (var failure in ours.Failures)
        {
            c._mismatches.Add($"our analysis failed on a layer: {failure}");
        }
        var ourRows = ours.Rows.GroupBy(r => r.Layer.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var matched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in reference.Rows)
        {
            string name = matching.OurName(row["name"]);
            if (!ourRows.TryGetValue(name, out var our))
            {
                c._mismatches.Add($"{row["name"]}: analyzed by the reference, not by us (our name '{name}')");
                continue;
            }
            matched.Add(name);
            c.CompareRow(row, our, reference.Columns, matching);
        }
        foreach (var extra in ourRows.Keys.Where(n => !matched.Contains(n)))
        {
            c._mismatches.Add($"{extra}: analyzed by us, not by the reference");
        }
        return c;
    }

    private void CompareRow(IReadOnlyDictionary<string, string> row, LayerResult our, IReadOnlyList<string> columns, ReferenceMatching matching)
    {
        RowsCompared++;
        bool swapped = matching.SwappedNm.Contains(our.Layer.Name);
        bool rankDeficient = double.Parse(row["rank_loss"], CultureInfo.InvariantCulture) > 0;
        foreach (var column in columns)
        {
            if ((NameColumns.Contains(column) && !(column == "layer_id" && matching.CompareLayerIds)) || (column == "sv_min" && rankDeficient))
            {
                continue;
            }
            string expected = row[column];
            string source = column;
            if (swapped && column is "N" or "M")
            {
                source = column == "N" ? "M" : "N";
                expected = row[source];
            }
            object? value = LayerTable.Value(our, column);
            if (swapped && column == "Q" && value is double q)
            {
                value = 1 / q;
            }
            Check($"{row["name"]}, column {column}{(source != column ? $" (reference {source})" : "")}{(swapped && column == "Q" ? " (inverted)" : "")}", column, expected, value);
        }
    }

    private void Check(string where, string column, string expected, object? ours)
    {
        switch (ours)
        {
            case null:
                Expect(expected.Length == 0, $"{where}: reference '{expected}', ours missing");
                break;
            case string s:
                Expect(expected == s, $"{where}: reference '{expected}', ours '{s}'");
                break;
            case bool b:
                Expect(expected == (b ? "True" : "False"), $"{where}: reference '{expected}', ours {b}");
                break;
            case int i:
                Expect(double.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var e) && e == i, $"{where}: reference {expected}, ours {i}");
                break;
            case double d:
                CheckFloat(where, column, expected, d);
                break;
            default:
                _mismatches.Add($"{where}: unexpected value type {ours.GetType()}");
                break;
        }
    }

    private void CheckFloat(string where, string column, string expected, double ours)
    {
        if (expected.Length == 0 || expected == "nan")
        {
            Expect(double.IsNaN(ours), $"{where}: reference NaN, ours {ours.ToString("R", CultureInfo.InvariantCulture)}");
            return;
        }
        double g = ParseFloat(expected);
        double rel = g == ours || (double.IsNaN(g) && double.IsNaN(ours))
            ? 0
            : double.IsInfinity(g) || double.IsInfinity(ours) || double.IsNaN(ours)
                ? double.PositiveInfinity
                : g == 0 ? Math.Abs(ours) : Math.Abs(ours - g) / Math.Abs(g);
        _worst[column] = Math.Max(_worst.GetValueOrDefault(column), rel);
        Expect(rel <= Tolerance, $"{where}: reference {expected}, ours {ours.ToString("R", CultureInfo.InvariantCulture)}, relative error {rel:E2}");
    }

    /// <summary>Python's float text: repr digits (read back exactly by .NET's parser), or inf / -inf.</summary>
    private static double ParseFloat(string text) => text switch
    {
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private void Expect(bool ok, string message)
    {
        if (!ok)
        {
            _mismatches.Add(message);
        }
    }

    /// <summary>One line per float column, worst first, for the test output and the closing note.</summary>
    public string Summary() =>
        $"{Label}: {RowsCompared} rows compared, {_mismatches.Count} mismatches; worst relative error per column: " +
        string.Join(", ", _worst.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value:E1}"));

    public void Print(ITestOutputHelper output)
    {
        output.WriteLine(Summary());
        foreach (var m in _mismatches.Take(40))
        {
            output.WriteLine("  " + m);
        }
        if (_mismatches.Count > 40)
        {
            output.WriteLine($"  ... and {_mismatches.Count - 40} more");
        }
    }

    public void AssertMatches() =>
        Assert.True(_mismatches.Count == 0, $"{Summary()}\n  " + string.Join("\n  ", _mismatches.Take(40)));
}
