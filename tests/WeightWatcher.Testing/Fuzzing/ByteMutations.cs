using System.Buffers.Binary;
using System.Text;

namespace WeightWatcher.Testing;

/// <summary>
/// The fuzz runs' byte mutations: random bytes, "interesting" bytes and tokens of the text parts of model
/// formats (JSON headers, numpy dictionaries), truncations, insertions and rewritten length fields.
/// </summary>
public static class ByteMutations
{
    private static readonly byte[] Interesting = [0x00, 0xFF, 0x7F, 0x80, 0x01, (byte)'9', (byte)'-', (byte)'"', (byte)'[', (byte)']', (byte)'{', (byte)'}', (byte)',', (byte)':', (byte)'.', (byte)'e'];

    private static readonly string[] Tokens =
    [
        "-1", "0", "1e308", "99999999999999999999", "4294967296", "\"", "{", "}", "[", "]", "null", "../", "\\u0000",
        "\"F64\"", "\"BOOL\"", "\"Q7\"", ", ", "True", "(", ")", "'<f8'", "'>f4'", "\"__metadata__\":{},", "\\ud800", "\\udc00",
    ];

    /// <summary>The default <see cref="Mutator"/>: <see cref="Mutate(byte[], IReadOnlyList{ValueTuple{int, int}}, Random, out string)"/> on the seed's length fields.</summary>
    /// <param name="original">The target file's valid content.</param>
    /// <param name="seed">The seed, for its length fields.</param>
    /// <param name="random">The run's random source.</param>
    public static (byte[] Bytes, string What) Default(byte[] original, FuzzSeed seed, Random random) =>
        (Mutate(original, seed.LengthFields, random, out string what), what);

    /// <summary>
    /// Applies one to three random mutations (set a byte, truncate, insert random bytes, insert a format token,
    /// rewrite a length field); <paramref name="what"/> describes them.
    /// </summary>
    /// <param name="original">The valid content.</param>
    /// <param name="lengthFields">Offsets and widths of its length fields.</param>
    /// <param name="rng">The random source.</param>
    /// <param name="what">A description of the mutations, for the case label.</param>
    public static byte[] Mutate(byte[] original, IReadOnlyList<(int Offset, int Width)> lengthFields, Random rng, out string what)
    {
        var bytes = new List<byte>(original);
        var steps = new List<string>();
        int count = 1 + rng.Next(3);
        for (int m = 0; m < count; m++)
        {
            int kind = rng.Next(lengthFields.Count > 0 ? 6 : 5);
            switch (kind)
            {
                case 0 when bytes.Count > 0:
                case 1 when bytes.Count > 0:
                {
                    int at = rng.Next(bytes.Count);
                    byte v = rng.Next(2) == 0 ? (byte)rng.Next(256) : Interesting[rng.Next(Interesting.Length)];
                    bytes[at] = v;
                    steps.Add($"set[{at}]={v}");
                    break;
                }
                case 2:
                {
                    int len = rng.Next(bytes.Count + 1);
                    bytes.RemoveRange(len, bytes.Count - len);
                    steps.Add($"truncate({len})");
                    break;
                }
                case 3:
                {
                    int at = rng.Next(bytes.Count + 1);
                    var insert = new byte[1 + rng.Next(16)];
                    rng.NextBytes(insert);
                    bytes.InsertRange(at, insert);
                    steps.Add($"insert[{at}]x{insert.Length}");
                    break;
                }
                case 4:
                {
                    int at = rng.Next(bytes.Count + 1);
                    string token = Tokens[rng.Next(Tokens.Length)];
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(token));
                    steps.Add($"token[{at}]={token}");
                    break;
                }
                default:
                {
                    if (lengthFields.Count == 0)
                    {
                        break;
                    }
                    var (offset, width) = lengthFields[rng.Next(lengthFields.Count)];
                    if (offset + width > bytes.Count)
                    {
                        break;
                    }
                    ulong value = LengthValue(rng, original.Length, width);
                    var buffer = new byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(buffer, value);
                    for (int b = 0; b < width; b++)
                    {
                        bytes[offset + b] = buffer[b];
                    }
                    steps.Add($"length[{offset}]={value}");
                    break;
                }
            }
        }
        what = string.Join(" ", steps);
        return bytes.ToArray();
    }

    private static ulong LengthValue(Random rng, int fileLength, int width)
    {
        ulong max = width == 8 ? ulong.MaxValue : (1UL << (8 * width)) - 1;
        ulong v = rng.Next(8) switch
        {
            0 => 0,
            1 => (ulong)rng.Next(16),
            2 => (ulong)Math.Max(0, fileLength - rng.Next(16)),
            3 => (ulong)(fileLength + rng.Next(1, 64)),
            4 => 1UL << rng.Next(64),
            5 => max,
            6 => (ulong)rng.NextInt64(),
            _ => (ulong)rng.Next(fileLength * 2 + 1),
        };
        return v & max;
    }

    /// <summary>Size and offset fields of local headers, central directory records and the end record.</summary>
    /// <param name="zip">A zip archive (also .npz, PyTorch .pt).</param>
    public static List<(int Offset, int Width)> ZipLengthFields(byte[] zip)
    {
        var fields = new List<(int Offset, int Width)>();
        for (int i = 0; i + 4 <= zip.Length; i++)
        {
            uint sig = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i));
            if (sig == 0x04034b50 && i + 30 <= zip.Length)
            {
                fields.AddRange([(i + 18, 4), (i + 22, 4), (i + 26, 2), (i + 28, 2)]);
            }
            else if (sig == 0x02014b50 && i + 46 <= zip.Length)
            {
                fields.AddRange([(i + 20, 4), (i + 24, 4), (i + 28, 2), (i + 30, 2), (i + 42, 4)]);
            }
            else if (sig == 0x06054b50 && i + 22 <= zip.Length)
            {
                fields.AddRange([(i + 8, 2), (i + 10, 2), (i + 12, 4), (i + 16, 4)]);
            }
            else if (sig == 0x4d554e93 && i + 10 <= zip.Length)
            {
                fields.Add((i + 8, 2)); // the .npy header length inside a stored entry
            }
        }
        return fields;
    }
}
