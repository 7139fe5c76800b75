using System.Globalization;
using System.Text;

namespace WeightWatcher.Cli.Commands;

/// <summary>A plain aligned text table for the terminal: numbers right-aligned, text left-aligned.</summary>
internal static class ConsoleTable
{
    public static string Render(IReadOnlyList<string> headers, IReadOnlyList<object?[]> rows)
    {
        var text = rows.Select(r => r.Select(Cell).ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, text.Count == 0 ? 0 : text.Max(r => r[i].Length))).ToArray();
        var numeric = headers.Select((_, i) => rows.All(r => r[i] is null or int or long or double)).ToArray();
        var sb = new StringBuilder();
        sb.AppendLine(string.Join("  ", headers.Select((h, i) => numeric[i] ? h.PadLeft(widths[i]) : h.PadRight(widths[i]))).TrimEnd());
        sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var r in text)
        {
            sb.AppendLine(string.Join("  ", r.Select((c, i) => numeric[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
        }
        return sb.ToString();
    }

    private static string Cell(object? v) => v switch
    {
        null => "",
        double d when double.IsNaN(d) => "nan",
        double d when Math.Abs(d) >= 1e5 || (d != 0 && Math.Abs(d) < 1e-3) => d.ToString("0.###e+0", CultureInfo.InvariantCulture),
        double d => d.ToString("0.0000", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
