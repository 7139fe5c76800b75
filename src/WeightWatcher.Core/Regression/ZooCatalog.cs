using System.Globalization;
using System.Text;

namespace WeightWatcher.Core.Regression;

/// <summary>One model of a zoo catalog.</summary>
/// <param name="Model">The model's name, unique in the catalog.</param>
/// <param name="Series">The series (architecture family) it is compared within; null when not given.</param>
/// <param name="Accuracy">Reported top-1 accuracy in percent; null when not given.</param>
/// <param name="File">The model's file or folder name in the store; null when not given.</param>
/// <param name="Extra">The catalog's other columns, by column name, as written.</param>
public sealed record CatalogEntry(string Model, string? Series, double? Accuracy, string? File, IReadOnlyDictionary<string, string> Extra);

/// <summary>A catalog that cannot be read: which source, which line, and why.</summary>
public sealed class CatalogException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sourceName">The catalog's name (a file or store path) as the user knows it.</param>
    /// <param name="line">The 1-based line where the offending record starts.</param>
    /// <param name="reason">What is wrong.</param>
    public CatalogException(string sourceName, int line, string reason)
        : base($"{sourceName}, line {line}: {reason}")
    {
        SourceName = sourceName;
        Line = line;
        Reason = reason;
    }

    /// <summary>The catalog's name.</summary>
    public string SourceName { get; }

    /// <summary>The 1-based line where the offending record starts.</summary>
    public int Line { get; }

    /// <summary>What is wrong.</summary>
    public string Reason { get; }
}

/// <summary>
/// The models of a zoo with what the weights cannot tell: the series each belongs to and its reported
/// accuracy, read from a CSV file with a header row (RFC 4180 quoting).
/// </summary>
public sealed class ZooCatalog
{
    private const string ModelColumn = "model";
    private const string SeriesColumn = "series";
    private const string AccuracyColumn = "top1_acc";
    private const string ErrorColumn = "top1_err";
    private const string FileColumn = "file";

    private readonly Dictionary<string, CatalogEntry> _byModel;

    private ZooCatalog(IReadOnlyList<CatalogEntry> entries, IReadOnlyList<string> extraColumns)
    {
        Entries = entries;
        ExtraColumns = extraColumns;
        _byModel = entries.ToDictionary(e => e.Model, StringComparer.Ordinal);
    }

    /// <summary>The models, in file order.</summary>
    public IReadOnlyList<CatalogEntry> Entries { get; }

    /// <summary>The columns kept in <see cref="CatalogEntry.Extra"/>, in file order.</summary>
    public IReadOnlyList<string> ExtraColumns { get; }

    /// <summary>
    /// Reads a catalog. Required column: <c>model</c>. Optional: <c>series</c>; <c>top1_acc</c> (percent),
    /// or when it is absent <c>top1_err</c> (percent, accuracy = 100 - error); <c>file</c>. Every other
    /// column (including <c>top1_err</c> when <c>top1_acc</c> is present) is kept in
    /// <see cref="CatalogEntry.Extra"/>. Header names and the recognised cells are trimmed; an empty
    /// series, accuracy or file cell reads as null. Blank lines are skipped; a byte-order mark is ignored.
    /// </summary>
    /// <param name="csvText">The file's text.</param>
    /// <param name="sourceName">The name errors cite.</param>
    /// <exception cref="CatalogException">No header or no <c>model</c> column, an empty or duplicate header
    /// name, a row with a different number of fields than the header, an empty or duplicate model, an
    /// accuracy that is not a finite number, or broken quoting.</exception>
    /// <param name="rowErrors">
    /// When given, a bad row (wrong field count, empty or repeated model, an accuracy that is not a number, a
    /// <c>file</c> that is not a path inside the store or names another row's file) is left out and its
    /// error added here, so one bad row costs only that row; when null, the first bad row is thrown.
    /// </param>
    public static ZooCatalog Parse(string csvText, string sourceName, ICollection<CatalogException>? rowErrors = null)
    {
        ArgumentNullException.ThrowIfNull(csvText);
        ArgumentNullException.ThrowIfNull(sourceName);
        var records = CsvRecords.Read(csvText, sourceName);
        if (records.Count == 0)
        {
            throw new CatalogException(sourceName, 1, "no header row");
        }
        var (headerLine, rawHeader) = records[0];
        var header = rawHeader.Select(h => h.Trim()).ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in header)
        {
            if (name.Length == 0)
            {
                throw new CatalogException(sourceName, headerLine, "empty column name in the header");
            }
            if (!seen.Add(name))
            {
                throw new CatalogException(sourceName, headerLine, $"column '{name}' appears twice in the header");
            }
        }
        int model = Array.IndexOf(header, ModelColumn);
        if (model < 0)
        {
            throw new CatalogException(sourceName, headerLine, $"no '{ModelColumn}' column (header: {string.Join(",", header)})");
        }
        int series = Array.IndexOf(header, SeriesColumn);
        int file = Array.IndexOf(header, FileColumn);
        int accuracy = Array.IndexOf(header, AccuracyColumn);
        bool fromError = accuracy < 0;
        if (fromError)
        {
            accuracy = Array.IndexOf(header, ErrorColumn);
        }
        var recognised = new[] { model, series, file, accuracy };
        var extra = Enumerable.Range(0, header.Length).Where(i => !recognised.Contains(i)).ToArray();

        var entries = new List<CatalogEntry>();
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        var fileLine = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, fields) in records.Skip(1))
        {
            try
            {
                entries.Add(ParseRow(line, fields));
            }
            catch (CatalogException e) when (rowErrors is not null)
            {
                rowErrors.Add(e);
            }
        }
        return new ZooCatalog(entries, extra.Select(i => header[i]).ToList());

        CatalogEntry ParseRow(int line, List<string> fields)
        {
            if (fields.Count != header.Length)
            {
                throw new CatalogException(sourceName, line, $"{fields.Count} fields where the header has {header.Length}");
            }
            string name = fields[model].Trim();
            if (name.Length == 0)
            {
                throw new CatalogException(sourceName, line, "empty model name");
            }
            if (firstLine.TryGetValue(name, out int first))
            {
                throw new CatalogException(sourceName, line, $"model '{name}' already listed on line {first}");
            }
            var entry = new CatalogEntry(
                name,
                Optional(fields, series),
                ParseAccuracy(Optional(fields, accuracy), fromError, header, accuracy, sourceName, line),
                CheckFile(Optional(fields, file), sourceName, line),
                extra.ToDictionary(i => header[i], i => fields[i], StringComparer.Ordinal));
            if (entry.File is { } path && !fileLine.TryAdd(path.TrimEnd('/'), line))
            {
                throw new CatalogException(sourceName, line, $"file '{path}' already listed on line {fileLine[path.TrimEnd('/')]}");
            }
            firstLine.Add(name, line);
            return entry;
        }
    }

    /// <summary>A <c>file</c> cell names a model in the store: relative, without <c>..</c> segments or backslashes.</summary>
    private static string? CheckFile(string? file, string sourceName, int line)
    {
        if (file is not null && (file.StartsWith('/') || file.Contains('\\', StringComparison.Ordinal) || file.Contains(':', StringComparison.Ordinal)
            || file.Split('/').Any(segment => segment is ".." or ".")))
        {
            throw new CatalogException(sourceName, line, $"file '{file}' is not a path inside the store (relative, no '.' or '..' segments, no backslash or drive)");
        }
        return file;
    }

    /// <summary>The entry of <paramref name="model"/> (exact, case-sensitive name), or null.</summary>
    public CatalogEntry? Find(string model) => _byModel.GetValueOrDefault(model);

    private static string? Optional(IReadOnlyList<string> fields, int index) =>
        index < 0 || fields[index].Trim().Length == 0 ? null : fields[index].Trim();

    private static double? ParseAccuracy(string? cell, bool fromError, string[] header, int column, string sourceName, int line)
    {
        if (cell is null)
        {
            return null;
        }
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw new CatalogException(sourceName, line, $"{header[column]} '{cell}' is not a number");
        }
        return fromError ? 100.0 - value : value;
    }
}

/// <summary>
/// RFC 4180 records: fields separated by commas, records by CRLF, LF or CR; a field in double quotes
/// may hold commas, line breaks and doubled quotes. Each record carries the line it starts on.
/// </summary>
internal static class CsvRecords
{
    public static List<(int Line, List<string> Fields)> Read(string text, string sourceName)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1;
        int recordLine = 1;
        int i = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        bool atFieldStart = true;
        bool hasContent = false;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '"' && atFieldStart)
            {
                int quoteLine = line;
                i = ReadQuoted(text, i + 1, field, ref line);
                if (i < 0)
                {
                    throw new CatalogException(sourceName, quoteLine, "a quoted field is never closed");
                }
                if (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                {
                    throw new CatalogException(sourceName, line, "text after a closing quote (a quote inside a field must be doubled)");
                }
                atFieldStart = false;
                hasContent = true;
                continue;
            }
            if (c == '"')
            {
                throw new CatalogException(sourceName, line, "a quote inside an unquoted field (quote the whole field and double the quote)");
            }
            if (c is '\r' or '\n')
            {
                EndRecord(records, fields, field, recordLine, hasContent);
                i += c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                line++;
                recordLine = line;
                atFieldStart = true;
                hasContent = false;
                continue;
            }
            if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
                atFieldStart = true;
            }
            else
            {
                field.Append(c);
                atFieldStart = false;
            }
            hasContent = true;
            i++;
        }
        EndRecord(records, fields, field, recordLine, hasContent);
        return records;
    }

    // Reads a quoted field's content from just after its opening quote; returns the index after the
    // closing quote, or -1 when the text ends first. Line breaks inside still count as lines.
    private static int ReadQuoted(string text, int i, StringBuilder field, ref int line)
    {
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '"')
            {
                if (i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            if (c == '\n' || (c == '\r' && !(i + 1 < text.Length && text[i + 1] == '\n')))
            {
                line++;
            }
            field.Append(c);
            i++;
        }
        return -1;
    }

    // A line with nothing on it is blank, not a record of one empty field.
    private static void EndRecord(List<(int, List<string>)> records, List<string> fields, StringBuilder field, int recordLine, bool hasContent)
    {
        if (hasContent)
        {
            fields.Add(field.ToString());
            records.Add((recordLine, new List<string>(fields)));
        }
        fields.Clear();
        field.Clear();
    }
}
