using System.Globalization;
using System.Text;

namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>Decoding of the text forms of protocol-0 opcodes (INT, LONG, FLOAT, STRING, UNICODE).</summary>
internal static class PickleText
{
    /// <summary>Parses the argument of INT (which may also be <c>00</c>/<c>01</c> for False/True).</summary>
    public static object ParseInt(string file, string line)
    {
        if (line == "00")
        {
            return false;
        }
        if (line == "01")
        {
            return true;
        }
        return ParseLong(file, line);
    }

    /// <summary>Parses a decimal integer, with an optional trailing <c>L</c> (LONG opcode).</summary>
    public static object ParseLong(string file, string line)
    {
        string digits = line.EndsWith('L') ? line[..^1] : line;
        if (long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
        {
            return v;
        }
        if (System.Numerics.BigInteger.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big))
        {
            return big;
        }
        throw new ModelFormatException(file, null, $"pickle integer '{TorchGlobals.Printable(line)}' is not a number");
    }

    /// <summary>Parses the argument of FLOAT.</summary>
    public static double ParseFloat(string file, string line)
    {
        if (double.TryParse(line, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            return v;
        }
        return line switch
        {
            "nan" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            _ => throw new ModelFormatException(file, null, $"pickle float '{TorchGlobals.Printable(line)}' is not a number"),
        };
    }

    /// <summary>Decodes the quoted Python string literal of the STRING opcode.</summary>
    public static string ParseQuoted(string file, string line)
    {
        if (line.Length < 2 || line[0] != line[^1] || (line[0] != '\'' && line[0] != '"'))
        {
            throw new ModelFormatException(file, null, "pickle STRING argument is not a quoted string");
        }
        return Unescape(file, line[1..^1], unicodeOnly: false);
    }

    /// <summary>Decodes the raw-unicode-escape text of the UNICODE opcode.</summary>
    public static string ParseRawUnicode(string file, string line) => Unescape(file, line, unicodeOnly: true);

    private static string Unescape(string file, string s, bool unicodeOnly)
    {
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c != '\\' || i + 1 >= s.Length)
            {
                sb.Append(c);
                continue;
            }
            char e = s[i + 1];
            if (unicodeOnly && e != 'u' && e != 'U')
            {
                sb.Append(c);
                continue;
            }
            i++;
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0': sb.Append('\0'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'x': sb.Append((char)Hex(file, s, i + 1, 2)); i += 2; break;
                case 'u': sb.Append((char)Hex(file, s, i + 1, 4)); i += 4; break;
                case 'U':
                    int cp = Hex(file, s, i + 1, 8);
                    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                    {
                        throw new ModelFormatException(file, null, "pickle string holds an invalid code point");
                    }
                    sb.Append(char.ConvertFromUtf32(cp));
                    i += 8;
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        return sb.ToString();
    }

    private static int Hex(string file, string s, int at, int count)
    {
        if (at + count > s.Length || !int.TryParse(s.AsSpan(at, count), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v))
        {
            throw new ModelFormatException(file, null, "pickle string holds a bad escape sequence");
        }
        return v;
    }
}
