using System.Buffers.Binary;

namespace WeightWatcher.Core.Formats.Gguf;

/// <summary>
/// Decodes ggml quantized blocks to doubles exactly as ggml's reference <c>dequantize_row_*</c> functions
/// do: each value is computed in float32 with the same operations in the same order (no fused
/// multiply-add), then widened, so every double equals ggml's float output.
/// </summary>
public static class GgmlDequantizer
{
    private const int Qk = 32;
    private const int QkK = 256;

    /// <summary>
    /// Decodes whole blocks of <paramref name="type"/> from <paramref name="blocks"/> into
    /// <paramref name="destination"/> (block count times block size elements).
    /// </summary>
    /// <exception cref="ArgumentException">The type is not decodable or the lengths do not match.</exception>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> blocks, Span<double> destination)
    {
        if (!GgmlTypes.CanDequantize(type) || GgmlTypes.Layout((uint)type) is not var (blockSize, typeSize))
        {
            throw new ArgumentException($"ggml type {type} cannot be dequantized", nameof(type));
        }
        if (blocks.Length % typeSize != 0 || (long)blocks.Length / typeSize * blockSize != destination.Length)
        {
            throw new ArgumentException($"{blocks.Length} bytes of {type} blocks do not decode to {destination.Length} elements");
        }
        BlockDecoder decode = type switch
        {
            GgmlType.Q4_0 => Q4_0,
            GgmlType.Q4_1 => Q4_1,
            GgmlType.Q5_0 => Q5_0,
            GgmlType.Q5_1 => Q5_1,
            GgmlType.Q8_0 => Q8_0,
            GgmlType.Q2_K => Q2_K,
            GgmlType.Q3_K => Q3_K,
            GgmlType.Q4_K => Q4_K,
            GgmlType.Q5_K => Q5_K,
            _ => Q6_K,
        };
        int count = blocks.Length / typeSize;
        for (int b = 0; b < count; b++)
        {
            decode(blocks.Slice(b * typeSize, typeSize), destination.Slice(b * blockSize, blockSize));
        }
    }

    /// <summary>Decodes one block of a ggml type into its block-size values.</summary>
    private delegate void BlockDecoder(ReadOnlySpan<byte> block, Span<double> values);

    private static float Half(ReadOnlySpan<byte> b, int at) => (float)BinaryPrimitives.ReadHalfLittleEndian(b.Slice(at, 2));

    /// <summary>block_q4_0 { half d; uint8 qs[16]; }: y = (q - 8) * d, low nibbles first.</summary>
    private static void Q4_0(ReadOnlySpan<byte> x, Span<double> y)
    {
        float d = Half(x, 0);
        var qs = x.Slice(2, Qk / 2);
        for (int j = 0; j < Qk / 2; j++)
        {
            int x0 = (qs[j] & 0x0F) - 8;
            int x1 = (qs[j] >> 4) - 8;
            y[j] = x0 * d;
            y[j + (Qk / 2)] = x1 * d;
        }
    }

    /// <summary>block_q4_1 { half d; half m; uint8 qs[16]; }: y = q * d + m.</summary>
    private static void Q4_1(ReadOnlySpan<byte> x, Span<double> y)
    {
        float d = Half(x, 0);
        float m = Half(x, 2);
        var qs = x.Slice(4, Qk / 2);
        for (int j = 0; j < Qk / 2; j++)
        {
            int x0 = qs[j] & 0x0F;
            int x1 = qs[j] >> 4;
            y[j] = (x0 * d) + m;
            y[j + (Qk / 2)] = (x1 * d) + m;
        }
    }

    /// <summary>block_q5_0 { half d; uint8 qh[4]; uint8 qs[16]; }: fifth bits from qh, y = (q - 16) * d.</summary>
    private static void Q5_0(ReadOnlySpan<byte> x, Span<double> y)
    {
        float d = Half(x, 0);
        uint qh = BinaryPrimitives.ReadUInt32LittleEndian(x.Slice(2, 4));
        var qs = x.Slice(6, Qk / 2);
        for (int j = 0; j < Qk / 2; j++)
        {
            int xh0 = (int)(((qh >> j) << 4) & 0x10);
            int xh1 = (int)((qh >> (j + 12)) & 0x10);
            int x0 = ((qs[j] & 0x0F) | xh0) - 16;
            int x1 = ((qs[j] >> 4) | xh1) - 16;
            y[j] = x0 * d;
            y[j + (Qk / 2)] = x1 * d;
        }
    }

    /// <summary>block_q5_1 { half d; half m; uint8 qh[4]; uint8 qs[16]; }: y = q * d + m.</summary>
    private static void Q5_1(ReadOnlySpan<byte> x, Span<double> y)
    {
        float d = Half(x, 0);
        float m = Half(x, 2);
        uint qh = BinaryPrimitives.ReadUInt32LittleEndian(x.Slice(4, 4));
        var qs = x.Slice(8, Qk / 2);
        for (int j = 0; j < Qk / 2; j++)
        {
            int xh0 = (int)(((qh >> j) << 4) & 0x10);
            int xh1 = (int)((qh >> (j + 12)) & 0x10);
            int x0 = (qs[j] & 0x0F) | xh0;
            int x1 = (qs[j] >> 4) | xh1;
            y[j] = (x0 * d) + m;
            y[j + (Qk / 2)] = (x1 * d) + m;
        }
    }

    /// <summary>block_q8_0 { half d; int8 qs[32]; }: y = q * d.</summary>
    private static void Q8_0(ReadOnlySpan<byte> x, Span<double> y)
    {
        float d = Half(x, 0);
        for (int j = 0; j < Qk; j++)
        {
            y[j] = (sbyte)x[2 + j] * d;
        }
    }

    /// <summary>ggml's <c>get_scale_min_k4</c>: the j-th 6-bit scale and minimum of the 12 packed bytes.</summary>
    internal static (int Scale, int Min) ScaleMinK4(int j, ReadOnlySpan<byte> q)
    {
        if (j < 4)
        {
            return (q[j] & 63, q[j + 4] & 63);
        }
        return ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }

    /// <summary>
    /// The float32 scales and minimums of sub-blocks <paramref name="isub"/> and <paramref name="isub"/> + 1
    /// of a Q4_K or Q5_K block, computed as ggml does (d * scale, dmin * min).
    /// </summary>
    private static (float D1, float M1, float D2, float M2) SubBlockScales(float d, float min, ReadOnlySpan<byte> scales, int isub)
    {
        var (sc1, m1) = ScaleMinK4(isub, scales);
        var (sc2, m2) = ScaleMinK4(isub + 1, scales);
        return (d * sc1, min * m1, d * sc2, min * m2);
    }

    /// <summary>block_q2_K { uint8 scales[16]; uint8 qs[64]; half d; half dmin; }: 4-bit scale and min per 16 values.</summary>
    private static void Q2_K(ReadOnlySpan<byte> x, Span<double> y)
    {
        var scales = x[..16];
        var q = x.Slice(16, QkK / 4);
        float d = Half(x, 80);
        float min = Half(x, 82);
        int at = 0;
        int isub = 0;
        for (int n = 0; n < QkK; n += 128)
        {
            int shift = 0;
            for (int j = 0; j < 4; j++)
            {
                int sc = scales[isub++];
                float dl = d * (sc & 0xF);
                float ml = min * (sc >> 4);
                for (int l = 0; l < 16; l++)
                {
                    y[at++] = (dl * ((q[l] >> shift) & 3)) - ml;
                }
                sc = scales[isub++];
                dl = d * (sc & 0xF);
                ml = min * (sc >> 4);
                for (int l = 0; l < 16; l++)
                {
                    y[at++] = (dl * ((q[l + 16] >> shift) & 3)) - ml;
                }
                shift += 2;
            }
            q = q[32..];
        }
    }

    /// <summary>
    /// block_q3_K { uint8 hmask[32]; uint8 qs[64]; uint8 scales[12]; half d; }: 2 low bits in qs, the third
    /// (inverted: clear means minus 4) in hmask, sixteen 6-bit scales offset by 32.
    /// </summary>
    private static void Q3_K(ReadOnlySpan<byte> x, Span<double> y)
    {
        const uint kmask1 = 0x03030303;
        const uint kmask2 = 0x0f0f0f0f;
        var hm = x[..(QkK / 8)];
        var q = x.Slice(QkK / 8, QkK / 4);
        var packed = x.Slice((QkK / 8) + (QkK / 4), 12);
        float dAll = Half(x, 108);
        uint a0 = BinaryPrimitives.ReadUInt32LittleEndian(packed);
        uint a1 = BinaryPrimitives.ReadUInt32LittleEndian(packed[4..]);
        uint tmp = BinaryPrimitives.ReadUInt32LittleEndian(packed[8..]);
        Span<byte> scales = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(scales, (a0 & kmask2) | (((tmp >> 0) & kmask1) << 4));
        BinaryPrimitives.WriteUInt32LittleEndian(scales[4..], (a1 & kmask2) | (((tmp >> 2) & kmask1) << 4));
        BinaryPrimitives.WriteUInt32LittleEndian(scales[8..], ((a0 >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4));
        BinaryPrimitives.WriteUInt32LittleEndian(scales[12..], ((a1 >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4));
        int at = 0;
        int isub = 0;
        int m = 1;
        for (int n = 0; n < QkK; n += 128)
        {
            int shift = 0;
            for (int j = 0; j < 4; j++)
            {
                float dl = dAll * ((sbyte)scales[isub++] - 32);
                for (int l = 0; l < 16; l++)
                {
                    y[at++] = dl * (((q[l] >> shift) & 3) - ((hm[l] & m) != 0 ? 0 : 4));
                }
                dl = dAll * ((sbyte)scales[isub++] - 32);
                for (int l = 0; l < 16; l++)
                {
                    y[at++] = dl * (((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) != 0 ? 0 : 4));
                }
                shift += 2;
                m <<= 1;
            }
            q = q[32..];
        }
    }

    /// <summary>block_q4_K { half d; half dmin; uint8 scales[12]; uint8 qs[128]; }.</summary>
    private static void Q4_K(ReadOnlySpan<byte> x, Span<double> y)
    {
        float d = Half(x, 0);
        float min = Half(x, 2);
        var scales = x.Slice(4, 12);
        var q = x.Slice(16, QkK / 2);
        int at = 0;
        int isub = 0;
        for (int j = 0; j < QkK; j += 64)
        {
            var (d1, m1, d2, m2) = SubBlockScales(d, min, scales, isub);
            for (int l = 0; l < 32; l++)
            {
                y[at++] = (d1 * (q[l] & 0xF)) - m1;
            }
            for (int l = 0; l < 32; l++)
            {
                y[at++] = (d2 * (q[l] >> 4)) - m2;
            }
            q = q[32..];
            isub += 2;
        }
    }

    /// <summary>block_q5_K { half d; half dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]; }.</summary>
    private static void Q5_K(ReadOnlySpan<byte> x, Span<double> y)
    {
        float d = Half(x, 0);
        float min = Half(x, 2);
        var scales = x.Slice(4, 12);
        var qh = x.Slice(16, QkK / 8);
        var ql = x.Slice(48, QkK / 2);
        int at = 0;
        int isub = 0;
        int u1 = 1, u2 = 2;
        for (int j = 0; j < QkK; j += 64)
        {
            var (d1, m1, d2, m2) = SubBlockScales(d, min, scales, isub);
            for (int l = 0; l < 32; l++)
            {
                y[at++] = (d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0))) - m1;
            }
            for (int l = 0; l < 32; l++)
            {
                y[at++] = (d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0))) - m2;
            }
            ql = ql[32..];
            isub += 2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    /// <summary>block_q6_K { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d; }.</summary>
    private static void Q6_K(ReadOnlySpan<byte> x, Span<double> y)
    {
        var ql = x[..(QkK / 2)];
        var qh = x.Slice(QkK / 2, QkK / 4);
        var sc = x.Slice((QkK / 2) + (QkK / 4), QkK / 16);
        float d = Half(x, (QkK / 2) + (QkK / 4) + (QkK / 16));
        int baseAt = 0;
        for (int n = 0; n < QkK; n += 128)
        {
            for (int l = 0; l < 32; l++)
            {
                int isc = l / 16;
                int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[baseAt + l] = d * (sbyte)sc[isc] * q1;
                y[baseAt + l + 32] = d * (sbyte)sc[isc + 2] * q2;
                y[baseAt + l + 64] = d * (sbyte)sc[isc + 4] * q3;
                y[baseAt + l + 96] = d * (sbyte)sc[isc + 6] * q4;
            }
            baseAt += 128;
            ql = ql[64..];
            qh = qh[32..];
            sc = sc[8..];
        }
    }
}
