using System.Buffers.Binary;
using WeightWatcher.Core.Formats.Gguf;

namespace WeightWatcher.Core.Tests.Formats.Gguf;

/// <summary>
/// The encoder side of the ggml block formats, for the tests: random integer quants and scales are packed
/// into blocks, and the values ggml decodes them to are computed from the integers directly. Scales are
/// powers of two (times small integers), so every expected value is exact in float32 and in double.
/// </summary>
internal static class GgmlTestBlocks
{
    private static readonly float[] Scales = [0.5f, 0.25f, 1f, 0.125f, 2f];

    public static (byte[] Bytes, double[] Expected) Encode(GgmlType type, int blocks, int seed)
    {
        var rng = new Random(seed);
        var bytes = new List<byte>();
        var expected = new List<double>();
        for (int b = 0; b < blocks; b++)
        {
            var (block, values) = type switch
            {
                GgmlType.Q4_0 => Q4_0(rng),
                GgmlType.Q4_1 => Q4_1(rng),
                GgmlType.Q5_0 => Q5_0(rng),
                GgmlType.Q5_1 => Q5_1(rng),
                GgmlType.Q8_0 => Q8_0(rng),
                GgmlType.Q2_K => Q2_K(rng),
                GgmlType.Q3_K => Q3_K(rng),
                GgmlType.Q4_K => QK(rng, fiveBit: false),
                GgmlType.Q5_K => QK(rng, fiveBit: true),
                GgmlType.Q6_K => Q6_K(rng),
                _ => throw new ArgumentException(type.ToString()),
            };
            Assert.Equal(GgmlTypes.Layout((uint)type)!.Value.TypeSize, block.Length);
            bytes.AddRange(block);
            expected.AddRange(values);
        }
        return (bytes.ToArray(), expected.ToArray());
    }

    private static float Scale(Random rng) => Scales[rng.Next(Scales.Length)] * (rng.Next(2) == 0 ? 1 : -1);

    private static void Half(byte[] block, int at, float v) => BinaryPrimitives.WriteHalfLittleEndian(block.AsSpan(at, 2), (Half)v);

    private static (byte[], double[]) Q4_0(Random rng)
    {
        var block = new byte[18];
        float d = Scale(rng);
        Half(block, 0, d);
        var y = new double[32];
        var q = new int[32];
        for (int i = 0; i < 32; i++)
        {
            q[i] = rng.Next(-8, 8);
            y[i] = q[i] * (double)d;
        }
        for (int j = 0; j < 16; j++)
        {
            block[2 + j] = (byte)((q[j] + 8) | ((q[j + 16] + 8) << 4));
        }
        return (block, y);
    }

    private static (byte[], double[]) Q4_1(Random rng)
    {
        var block = new byte[20];
        float d = Scale(rng), m = rng.Next(-16, 16) * 0.25f;
        Half(block, 0, d);
        Half(block, 2, m);
        var y = new double[32];
        var q = new int[32];
        for (int i = 0; i < 32; i++)
        {
            q[i] = rng.Next(0, 16);
            y[i] = (q[i] * (double)d) + m;
        }
        for (int j = 0; j < 16; j++)
        {
            block[4 + j] = (byte)(q[j] | (q[j + 16] << 4));
        }
        return (block, y);
    }

    private static (byte[], double[]) Q5(Random rng, bool withMin)
    {
        var block = new byte[withMin ? 24 : 22];
        float d = Scale(rng), m = withMin ? rng.Next(-16, 16) * 0.25f : 0;
        Half(block, 0, d);
        if (withMin)
        {
            Half(block, 2, m);
        }
        var y = new double[32];
        var u = new int[32];
        uint qh = 0;
        for (int i = 0; i < 32; i++)
        {
            u[i] = rng.Next(0, 32);
            y[i] = withMin ? (u[i] * (double)d) + m : (u[i] - 16) * (double)d;
            qh |= (uint)(u[i] >> 4) << i;
        }
        int at = withMin ? 4 : 2;
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(at, 4), qh);
        for (int j = 0; j < 16; j++)
        {
            block[at + 4 + j] = (byte)((u[j] & 0xF) | ((u[j + 16] & 0xF) << 4));
        }
        return (block, y);
    }

    private static (byte[], double[]) Q5_0(Random rng) => Q5(rng, withMin: false);

    private static (byte[], double[]) Q5_1(Random rng) => Q5(rng, withMin: true);

    private static (byte[], double[]) Q8_0(Random rng)
    {
        var block = new byte[34];
        float d = Scale(rng);
        Half(block, 0, d);
        var y = new double[32];
        for (int i = 0; i < 32; i++)
        {
            int q = rng.Next(-128, 128);
            block[2 + i] = (byte)(sbyte)q;
            y[i] = q * (double)d;
        }
        return (block, y);
    }

    /// <summary>The 12-byte packing of eight 6-bit scales and mins that <c>get_scale_min_k4</c> unpacks.</summary>
    public static byte[] PackScalesK4(int[] sc, int[] m)
    {
        var s = new byte[12];
        for (int k = 0; k < 4; k++)
        {
            s[k] = (byte)((sc[k] & 63) | ((sc[k + 4] >> 4) << 6));
            s[k + 4] = (byte)((m[k] & 63) | ((m[k + 4] >> 4) << 6));
            s[k + 8] = (byte)((sc[k + 4] & 0xF) | ((m[k + 4] & 0xF) << 4));
        }
        return s;
    }

    private static (byte[], double[]) QK(Random rng, bool fiveBit)
    {
        var block = new byte[fiveBit ? 176 : 144];
        float d = Scale(rng) / 4, dmin = Scales[rng.Next(Scales.Length)] / 8;
        Half(block, 0, d);
        Half(block, 2, dmin);
        var sc = new int[8];
        var mn = new int[8];
        for (int k = 0; k < 8; k++)
        {
            sc[k] = rng.Next(64);
            mn[k] = rng.Next(64);
        }
        PackScalesK4(sc, mn).CopyTo(block, 4);
        int qsAt = fiveBit ? 48 : 16;
        var y = new double[256];
        for (int e = 0; e < 256; e++)
        {
            int sub = e / 32, chunk = sub / 2, l = e % 32;
            int u = rng.Next(fiveBit ? 32 : 16);
            y[e] = (d * (double)sc[sub] * u) - (dmin * (double)mn[sub]);
            int at = qsAt + (32 * chunk) + l;
            block[at] |= (byte)(sub % 2 == 0 ? u & 0xF : (u & 0xF) << 4);
            if (fiveBit && u >= 16)
            {
                block[16 + l] |= (byte)(1 << sub);
            }
        }
        return (block, y);
    }

    private static (byte[], double[]) Q2_K(Random rng)
    {
        var block = new byte[84];
        float d = Scale(rng) / 4, dmin = Scales[rng.Next(Scales.Length)] / 8;
        Half(block, 80, d);
        Half(block, 82, dmin);
        var sc = new int[16];
        for (int k = 0; k < 16; k++)
        {
            sc[k] = rng.Next(256);
            block[k] = (byte)sc[k];
        }
        var y = new double[256];
        for (int e = 0; e < 256; e++)
        {
            int u = rng.Next(4);
            int h = e / 128, j = e % 128 / 32, p = e % 32 / 16, l = e % 16;
            y[e] = (d * (double)(sc[e / 16] & 0xF) * u) - (dmin * (double)(sc[e / 16] >> 4));
            block[16 + (32 * h) + (16 * p) + l] |= (byte)(u << (2 * j));
        }
        return (block, y);
    }

    /// <summary>The 12-byte packing of sixteen 6-bit Q3_K scales.</summary>
    public static byte[] PackScalesQ3K(int[] sc)
    {
        var s = new byte[12];
        for (int k = 0; k < 4; k++)
        {
            s[k] = (byte)((sc[k] & 0xF) | ((sc[8 + k] & 0xF) << 4));
            s[4 + k] = (byte)((sc[4 + k] & 0xF) | ((sc[12 + k] & 0xF) << 4));
            s[8 + k] = (byte)((sc[k] >> 4) | ((sc[4 + k] >> 4) << 2) | ((sc[8 + k] >> 4) << 4) | ((sc[12 + k] >> 4) << 6));
        }
        return s;
    }

    private static (byte[], double[]) Q3_K(Random rng)
    {
        var block = new byte[110];
        float d = Scale(rng) / 4;
        Half(block, 108, d);
        var sc = new int[16];
        for (int k = 0; k < 16; k++)
        {
            sc[k] = rng.Next(64);
        }
        PackScalesQ3K(sc).CopyTo(block, 96);
        var y = new double[256];
        for (int e = 0; e < 256; e++)
        {
            int v = rng.Next(-4, 4); // the 3-bit value: low two bits, minus 4 unless the high bit is set
            int low = v & 3;
            bool high = v >= 0;
            int h = e / 128, j = e % 128 / 32, p = e % 32 / 16, l = e % 16;
            y[e] = d * (double)(sc[e / 16] - 32) * v;
            block[32 + (32 * h) + (16 * p) + l] |= (byte)(low << (2 * j));
            if (high)
            {
                block[(16 * p) + l] |= (byte)(1 << ((4 * h) + j));
            }
        }
        return (block, y);
    }

    private static (byte[], double[]) Q6_K(Random rng)
    {
        var block = new byte[210];
        float d = Scale(rng) / 4;
        var sc = new int[16];
        for (int k = 0; k < 16; k++)
        {
            sc[k] = rng.Next(-128, 128);
            block[192 + k] = (byte)(sbyte)sc[k];
        }
        Half(block, 208, d);
        var y = new double[256];
        for (int e = 0; e < 256; e++)
        {
            int u = rng.Next(64);
            y[e] = d * (double)sc[e / 16] * (u - 32);
            int h = e / 128, r = e % 128, k = r / 32, l = r % 32;
            int qlAt = (64 * h) + l + (k % 2 == 1 ? 32 : 0);
            block[qlAt] |= (byte)(k < 2 ? u & 0xF : (u & 0xF) << 4);
            block[128 + (32 * h) + l] |= (byte)((u >> 4) << (2 * k));
        }
        return (block, y);
    }
}
