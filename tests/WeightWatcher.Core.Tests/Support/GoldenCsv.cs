using System.Globalization;

namespace WeightWatcher.Core.Tests.Support;

/// <summary>A golden CSV file: its header and rows as text (the files have no quoted fields).</summary>
public sealed record GoldenCsv(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyDictionary<string, string>> Rows)
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    public static GoldenCsv Read(string path)
    {
        var lines = System.IO.File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var columns = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l =>
        {
            var cells = l.Split(',');
            Assert.Equal(columns.Length, cells.Length);
            return (IReadOnlyDictionary<string, string>)columns.Zip(cells).ToDictionary(p => p.First, p => p.Second);
        }).ToList();
        return new GoldenCsv(columns, rows);
    }
}

/// <summary>Compares one value of ours with a golden cell, and records the worst relative error per column.</summary>
public sealed class ParityChecker
{
    private readonly double _tolerance;
    private readonly Dictionary<string, double> _worst = new(StringComparer.Ordinal);

    public ParityChecker(double tolerance) => _tolerance = tolerance;

    /// <summary>How many values were compared.</summary>
    public int Compared { get; private set; }

    /// <summary>Worst relative error seen per float column.</summary>
    public IReadOnlyDictionary<string, double> WorstRelativeError => _worst;

    public void Check(string context, string column, string golden, object? ours)
    {
        string where = $"{context}, column {column}";
        Compared++;
        switch (ours)
        {
            case null:
                Assert.True(golden.Length == 0, $"{where}: golden '{golden}', ours is missing");
                break;
            case string s:
                Assert.True(golden == s, $"{where}: golden '{golden}', ours '{s}'");
                break;
            case bool b:
                Assert.True(golden == (b ? "True" : "False"), $"{where}: golden '{golden}', ours {b}");
                break;
            case int i:
                Assert.True(long.Parse(golden, CultureInfo.InvariantCulture) == i, $"{where}: golden {golden}, ours {i}");
                break;
            case double d:
                double g = double.Parse(golden, CultureInfo.InvariantCulture);
                double rel = g == d ? 0 : Math.Abs(d - g) / Math.Max(Math.Abs(g), 1e-300);
                // Golden values are printed to 10 significant digits: an exact zero is compared absolutely.
                if (g == 0)
                {
                    rel = Math.Abs(d);
                }
                _worst[column] = Math.Max(_worst.GetValueOrDefault(column), rel);
                Assert.True(rel <= _tolerance, $"{where}: golden {golden}, ours {d.ToString("R", CultureInfo.InvariantCulture)}, relative error {rel:E2}");
                break;
            default:
                Assert.Fail($"{where}: unexpected value type {ours.GetType()}");
                break;
        }
    }
}
