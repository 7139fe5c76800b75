using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace WeightWatcher.Cluster.Serialization;

/// <summary>
/// Table cells (double, long/int, string, bool or null) through JSON without losing their type or a
/// digit: doubles are written round-trip ("R") and always carry a '.' or an exponent, so 3.0 comes back
/// as a double and 3 as an integer; NaN and infinities, which JSON has no number for, become
/// <c>{"$f":"NaN"}</c> objects so they can never be confused with a string cell.
/// </summary>
public sealed class CellJsonConverter : JsonConverter<object?>
{
    private const string FloatTag = "$f";

    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override object? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Number:
                var raw = System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan);
                // Boxed separately: a conditional of double and long would widen the long to a double.
                if (raw.AsSpan().IndexOfAny(".eE") >= 0)
                {
                    return double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
                }
                return long.Parse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture);
            case JsonTokenType.StartObject:
                reader.Read();
                if (reader.TokenType != JsonTokenType.PropertyName || reader.GetString() != FloatTag)
                {
                    throw new JsonException("a cell object must be {\"$f\": \"NaN|Infinity|-Infinity\"}");
                }
                reader.Read();
                double value = reader.GetString() switch
                {
                    "NaN" => double.NaN,
                    "Infinity" => double.PositiveInfinity,
                    "-Infinity" => double.NegativeInfinity,
                    var other => throw new JsonException($"unknown non-finite cell '{other}'"),
                };
                reader.Read();
                return value;
            default:
                throw new JsonException($"unexpected {reader.TokenType} in a table cell");
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, object? value, JsonSerializerOptions options)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d when !double.IsFinite(d):
                writer.WriteStartObject();
                writer.WriteString(FloatTag, double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
                writer.WriteEndObject();
                break;
            case double d:
                string text = d.ToString("R", CultureInfo.InvariantCulture);
                writer.WriteRawValue(text.AsSpan().IndexOfAny(".eE") >= 0 ? text : text + ".0", skipInputValidation: true);
                break;
            default:
                throw new JsonException($"a table cell cannot hold a {value.GetType().Name}");
        }
    }
}
