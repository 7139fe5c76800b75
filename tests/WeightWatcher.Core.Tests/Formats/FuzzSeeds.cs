using System.Buffers.Binary;
using System.Text;
using WeightWatcher.Core.Formats;
using static WeightWatcher.Core.Tests.Formats.ModelFiles;

namespace WeightWatcher.Core.Tests.Formats;

/// <summary>
/// One valid starting point of the fuzz: the files of a model, which of them is mutated, the path given
/// to <see cref="ModelOpener.Open"/>, and the length fields of the mutated file (offset, width in bytes).
/// </summary>
internal sealed record FuzzSeed(string Name, Dictionary<string, byte[]> Files, string Target, string OpenPath, IReadOnlyList<(int Offset, int Width)> LengthFields);

/// <summary>Builds the fuzz seeds and mutates them.</summary>
internal static class FuzzSeeds
{
    private static readonly byte[] Interesting = [0x00, 0xFF, 0x7F, 0x80, 0x01, (byte)'9', (byte)'-', (byte)'"', (byte)'[', (byte)']', (byte)'{', (byte)'}', (byte)',', (byte)':', (byte)'.', (byte)'e'];

    private static readonly string[] Tokens =
    [
        "-1", "0", "1e308", "99999999999999999999", "4294967296", "\"", "{", "}", "[", "]", "null", "../", "\\u0000",
        "\"F64\"", "\"BOOL\"", "\"Q7\"", ", ", "True", "(", ")", "'<f8'", "'>f4'", "\"__metadata__\":{},", "\\ud800", "\\udc00",
    ];

    public static List<FuzzSeed> Build()
    {
        var seeds = new List<FuzzSeed>();

        var mixed = BuildMixedSafetensors();
        seeds.Add(new("safetensors-mixed-dtypes", new() { ["m.safetensors"] = mixed }, "m.safetensors", "m.safetensors", [(0, 8)]));

        string written = Path.GetTempFileName();
        try
        {
            SafetensorsWriter.Write(written, [new("l1.weight", [4, 5], Values(20, 1)), new("l1.bias", [4], Values(4, 2)), new("l2.weight", [3, 4], Values(12, 3))]);
            seeds.Add(new("safetensors-writer", new() { ["w.safetensors"] = File.ReadAllBytes(written) }, "w.safetensors", "w.safetensors", [(0, 8)]));

            var npy = new MemoryStream();
            NumpyWriter.WriteNpy(npy, new NamedTensor("x", [3, 4], Values(12, 4)));
            seeds.Add(new("npy", new() { ["x.npy"] = npy.ToArray() }, "x.npy", "x.npy", [(8, 2)]));

            var fortran = Npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", new byte[48]);
            seeds.Add(new("npy-fortran-f8", new() { ["f.npy"] = fortran }, "f.npy", "f.npy", [(8, 2)]));

            foreach (bool compress in new[] { false, true })
            {
                NumpyWriter.WriteNpz(written, [new("a", [4, 5], Values(20, 5)), new("b.bias", [5], Values(5, 6))], compress);
                var zip = File.ReadAllBytes(written);
                seeds.Add(new(compress ? "npz-compressed" : "npz-stored", new() { ["z.npz"] = zip }, "z.npz", "z.npz", ZipLengthFields(zip)));
            }

            string index = "{\"metadata\":{\"total_size\":96},\"weight_map\":{\"b.weight\":\"s-2.safetensors\",\"a.weight\":\"s-1.safetensors\",\"c.weight\":\"s-1.safetensors\"}}";
            SafetensorsWriter.Write(written, [new("a.weight", [2, 3], Values(6, 7)), new("c.weight", [3], Values(3, 8))]);
            var shard1 = File.ReadAllBytes(written);
            SafetensorsWriter.Write(written, [new("b.weight", [2, 2], Values(4, 9))]);
            var shard2 = File.ReadAllBytes(written);
            var sharded = new Dictionary<string, byte[]>
            {
                [SafetensorsReader.IndexFileName] = Encoding.UTF8.GetBytes(index),
                ["s-1.safetensors"] = shard1,
                ["s-2.safetensors"] = shard2,
            };
            seeds.Add(new("sharded-index", sharded, SafetensorsReader.IndexFileName, ".", []));
            seeds.Add(new("sharded-shard", sharded, "s-1.safetensors", ".", [(0, 8)]));
        }
        finally
        {
            File.Delete(written);
        }
        return seeds;
    }

    private static byte[] BuildMixedSafetensors()
    {
        var data = new MemoryStream();
        var entries = new List<string>();
        void Add(string name, string dtype, string shape, byte[] bytes)
        {
            entries.Add($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{data.Length},{data.Length + bytes.Length}]}}");
            data.Write(bytes);
        }
        Add("f32.weight", "F32", "[3,4]", F32(Values(12, 10)));
        Add("f16", "F16", "[5]", [0, 0x3C, 0, 0xC0, 0xFF, 0x7B, 1, 0, 0, 0x80]);
        Add("bf16", "BF16", "[2,2]", [0x80, 0x3F, 0, 0, 0x80, 0x7F, 0xC0, 0xFF]);
        Add("i64", "I64", "[2]", [1, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]);
        Add("u8", "U8", "[3]", [0, 128, 255]);
        Add("scalar", "F64", "[]", new byte[8]);
        Add("empty", "F32", "[0,7]", []);
        string header = "{\"__metadata__\":{\"format\":\"pt\"}," + string.Join(",", entries) + "}";
        return Safetensors(header, data.ToArray());
    }

    /// <summary>Size and offset fields of local headers, central directory records and the end record.</summary>
    private static List<(int, int)> ZipLengthFields(byte[] zip)
    {
        var fields = new List<(int, int)>();
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

    /// <summary>Applies one to three random mutations; <paramref name="what"/> describes them.</summary>
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
}
