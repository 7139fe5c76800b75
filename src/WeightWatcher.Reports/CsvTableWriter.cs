namespace WeightWatcher.Reports;

/// <summary>Writes a table with a header line and one line per row, in the given column order.</summary>
public static class CsvTableWriter
{
    /// <summary>Writes <paramref name="rows"/>; <paramref name="cell"/> gives a row's value for a column.</summary>
    public static void Write<TRow>(TextWriter writer, IReadOnlyList<string> columns, IEnumerable<TRow> rows, Func<TRow, string, object?> cell)
    {
        writer.WriteLine(string.Join(",", columns.Select(CellFormatter.CsvField)));
        foreach (var row in rows)
        {
            writer.WriteLine(string.Join(",", columns.Select(c => CellFormatter.CsvField(CellFormatter.Format(cell(row, c))))));
        }
    }

    /// <summary>Writes the table to <paramref name="path"/> (UTF-8, no byte-order mark, \n line ends).</summary>
    public static void WriteFile<TRow>(string path, IReadOnlyList<string> columns, IEnumerable<TRow> rows, Func<TRow, string, object?> cell)
    {
        using var stream = File.Create(path);
        WriteStream(stream, columns, rows, cell);
    }

    /// <summary>The table as the bytes <see cref="WriteFile"/> would write, for callers that store files elsewhere.</summary>
    public static byte[] ToBytes<TRow>(IReadOnlyList<string> columns, IEnumerable<TRow> rows, Func<TRow, string, object?> cell)
    {
        using var stream = new MemoryStream();
        WriteStream(stream, columns, rows, cell);
        return stream.ToArray();
    }

    private static void WriteStream<TRow>(Stream stream, IReadOnlyList<string> columns, IEnumerable<TRow> rows, Func<TRow, string, object?> cell)
    {
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        Write(writer, columns, rows, cell);
    }
}
