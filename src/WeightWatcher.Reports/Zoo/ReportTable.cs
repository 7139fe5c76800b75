using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace WeightWatcher.Reports.Zoo;

/// <summary>How a column is stored in Parquet.</summary>
internal enum ColumnKind
{
    /// <summary>Nullable double: every number, integers included, so readers see one numeric type.</summary>
    Number,

    /// <summary>Nullable boolean.</summary>
    Bool,

    /// <summary>Nullable UTF-8 string.</summary>
    Text,
}

/// <summary>
/// A table materialised once and written three ways (CSV, JSON array of objects, Parquet), so the
/// three files of one table cannot disagree.
/// </summary>
internal sealed class ReportTable
{
    private readonly Dictionary<string, int> _index;

    public ReportTable(IReadOnlyList<string> columns, IReadOnlyList<ColumnKind> kinds, IReadOnlyList<object?[]> rows)
    {
        Columns = columns;
        Kinds = kinds;
        Rows = rows;
        _index = columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
    }

    public IReadOnlyList<string> Columns { get; }

    public IReadOnlyList<ColumnKind> Kinds { get; }

    public IReadOnlyList<object?[]> Rows { get; }

    /// <summary>The kind the values of a column call for: numbers, booleans, or else text; a column of nulls only is numeric.</summary>
    public static ColumnKind Infer(IEnumerable<object?> values)
    {
        var present = values.Where(v => v is not null).ToList();
        if (present.All(IsNumber))
        {
            return ColumnKind.Number;
        }
        return present.All(v => v is bool) ? ColumnKind.Bool : ColumnKind.Text;
    }

    public byte[] ToCsv() => CsvTableWriter.ToBytes(Columns, Rows, (row, column) => row[_index[column]]);

    public byte[] ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var row in Rows)
            {
                w.WriteStartObject();
                for (int c = 0; c < Columns.Count; c++)
                {
                    CellFormatter.WriteJson(w, Columns[c], row[c]);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return stream.ToArray();
    }

    /// <summary>
    /// One row group. NaN is written as null, as the CSV leaves it empty, so query engines skip it in
    /// aggregates instead of propagating it; infinities stay (Parquet doubles hold them).
    /// </summary>
    public byte[] ToParquet()
    {
        using var stream = new MemoryStream();
        // Parquet.Net is async only; over a MemoryStream nothing waits on I/O, so blocking here is safe
        // and keeps the builders synchronous for their callers.
        WriteParquetAsync(stream).GetAwaiter().GetResult();
        return stream.ToArray();
    }

    private async Task WriteParquetAsync(Stream stream)
    {
        var fields = Columns.Select((name, c) => Kinds[c] switch
        {
            ColumnKind.Number => (DataField)new DataField<double?>(name),
            ColumnKind.Bool => new DataField<bool?>(name),
            _ => new DataField<string>(name, nullable: true),
        }).ToArray();
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream).ConfigureAwait(false);
        using var group = writer.CreateRowGroup();
        for (int c = 0; c < Columns.Count; c++)
        {
            var cells = Rows.Select(r => r[c]);
            switch (Kinds[c])
            {
                case ColumnKind.Number:
                    await group.WriteAsync<double>(fields[c], cells.Select(v => ToDouble(v, Columns[c])).ToArray()).ConfigureAwait(false);
                    break;
                case ColumnKind.Bool:
                    await group.WriteAsync<bool>(fields[c], cells.Select(v => (bool?)v).ToArray()).ConfigureAwait(false);
                    break;
                default:
                    await group.WriteAsync(fields[c], cells.Select(v => v is null ? null : CellFormatter.Format(v)).ToArray()).ConfigureAwait(false);
                    break;
            }
        }
        group.CompleteValidate();
    }

    private static bool IsNumber(object? v) => v is double or float or int or long;

    private static double? ToDouble(object? v, string column) => v switch
    {
        null => null,
        double d when double.IsNaN(d) => null,
        double d => d,
        float f when float.IsNaN(f) => null,
        float f => f,
        int i => i,
        long l => l,
        _ => throw new InvalidOperationException($"column '{column}' is numeric but holds a {v.GetType().Name}"),
    };
}
