using System.Buffers.Binary;

namespace WeightWatcher.Reports.Esd;

/// <summary>One analyzed row's spectra as the zoo keeps them for figures.</summary>
/// <param name="LayerId">The layer id.</param>
/// <param name="SliceId">The conv slice (<c>pool=false</c>), or null for a pooled row.</param>
/// <param name="Evals">The ESD, ascending.</param>
/// <param name="RandomEvals">The randomized ESD (empty unless <c>randomize</c>).</param>
public sealed record StoredSpectrum(int LayerId, int? SliceId, double[] Evals, double[] RandomEvals);

/// <summary>
/// The compact binary form of a layer's spectra, stored beside its cached result (<c>esd/&lt;key&gt;.esd</c>)
/// so reports can draw ESD figures without re-reading the model: the magic <c>WWESD1</c> and two padding
/// bytes, a little-endian int32 row count, then per row int32 layer id, int32 slice id (-1: pooled),
/// int32 eigenvalue count, int32 random-eigenvalue count, and the float64 values. Exact (doubles), so a
/// figure's D-versus-xmin curve meets the cached fit at its xmin.
/// </summary>
public static class StoredSpectra
{
    private static readonly byte[] Magic = "WWESD1\0\0"u8.ToArray();

    /// <summary>Encodes <paramref name="rows"/>.</summary>
    public static byte[] Encode(IReadOnlyList<StoredSpectrum> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        long size = Magic.Length + 4 + rows.Sum(r => 16L + (8L * (r.Evals.Length + r.RandomEvals.Length)));
        var bytes = new byte[size];
        Magic.CopyTo(bytes, 0);
        int at = Magic.Length;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), rows.Count);
        at += 4;
        foreach (var r in rows)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), r.LayerId);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 4), r.SliceId ?? -1);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 8), r.Evals.Length);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 12), r.RandomEvals.Length);
            at += 16;
            foreach (var v in r.Evals.Concat(r.RandomEvals))
            {
                BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), v);
                at += 8;
            }
        }
        return bytes;
    }

    /// <summary>Decodes what <see cref="Encode"/> wrote.</summary>
    /// <exception cref="FormatException">Not this format, or truncated.</exception>
    public static IReadOnlyList<StoredSpectrum> Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Magic.Length + 4 || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw new FormatException("not a stored spectrum (bad magic)");
        }
        int at = Magic.Length;
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
        at += 4;
        var rows = new List<StoredSpectrum>();
        for (int r = 0; r < count; r++)
        {
            if (count < 0 || bytes.Length - at < 16)
            {
                throw new FormatException("stored spectrum truncated");
            }
            int id = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
            int slice = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 4)..]);
            int n = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 8)..]);
            int m = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 12)..]);
            at += 16;
            if (n < 0 || m < 0 || (long)(bytes.Length - at) < 8L * ((long)n + m))
            {
                throw new FormatException("stored spectrum truncated");
            }
            var evals = new double[n];
            var random = new double[m];
            for (int i = 0; i < n; i++, at += 8)
            {
                evals[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[at..]);
            }
            for (int i = 0; i < m; i++, at += 8)
            {
                random[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[at..]);
            }
            rows.Add(new StoredSpectrum(id, slice < 0 ? null : slice, evals, random));
        }
        return rows;
    }
}
