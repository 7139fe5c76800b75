using System.Buffers.Binary;
using System.Text;

namespace WeightWatcher.Core.Tests.Formats.PyTorch;

/// <summary>
/// A minimal zip writer for stored entries, optionally in ZIP64 form (sizes and offsets in zip64 extra
/// fields, a zip64 end record and locator), with 64-byte aligned entry data as torch.save writes it.
/// </summary>
internal static class MiniZipWriter
{
    public static byte[] Write(IReadOnlyList<(string Name, byte[] Data)> entries, bool zip64)
    {
        var ms = new MemoryStream();
        var offsets = new List<long>();
        foreach (var (name, data) in entries)
        {
            offsets.Add(ms.Position);
            var n = Encoding.UTF8.GetBytes(name);
            // Pad the local extra field so that the data starts on a 64-byte boundary (torch's "FB" padding).
            int extraLen = (int)((64 - ((ms.Position + 30 + n.Length + 4) % 64)) % 64) + 4;
            var h = new byte[30];
            BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), 45);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(18), zip64 ? 0xFFFFFFFF : (uint)data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(22), zip64 ? 0xFFFFFFFF : (uint)data.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(26), (ushort)n.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(28), (ushort)extraLen);
            ms.Write(h);
            ms.Write(n);
            var extra = new byte[extraLen];
            BinaryPrimitives.WriteUInt16LittleEndian(extra, 0x4246); // "FB"
            BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), (ushort)(extraLen - 4));
            ms.Write(extra);
            ms.Write(data);
        }
        long cdOffset = ms.Position;
        for (int i = 0; i < entries.Count; i++)
        {
            var (name, data) = entries[i];
            var n = Encoding.UTF8.GetBytes(name);
            var z = new byte[zip64 ? 28 : 0];
            if (zip64)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(z, 1);
                BinaryPrimitives.WriteUInt16LittleEndian(z.AsSpan(2), 24);
                BinaryPrimitives.WriteUInt64LittleEndian(z.AsSpan(4), (ulong)data.Length);
                BinaryPrimitives.WriteUInt64LittleEndian(z.AsSpan(12), (ulong)data.Length);
                BinaryPrimitives.WriteUInt64LittleEndian(z.AsSpan(20), (ulong)offsets[i]);
            }
            var c = new byte[46];
            BinaryPrimitives.WriteUInt32LittleEndian(c, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(4), 45);
            BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(6), 45);
            BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(20), zip64 ? 0xFFFFFFFF : (uint)data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(24), zip64 ? 0xFFFFFFFF : (uint)data.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(28), (ushort)n.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(30), (ushort)z.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(42), zip64 ? 0xFFFFFFFF : (uint)offsets[i]);
            ms.Write(c);
            ms.Write(n);
            ms.Write(z);
        }
        long cdSize = ms.Position - cdOffset;
        if (zip64)
        {
            long recordAt = ms.Position;
            var r = new byte[56];
            BinaryPrimitives.WriteUInt32LittleEndian(r, 0x06064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(4), 44);
            BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(12), 45);
            BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(14), 45);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(24), (ulong)entries.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(32), (ulong)entries.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(40), (ulong)cdSize);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(48), (ulong)cdOffset);
            ms.Write(r);
            var l = new byte[20];
            BinaryPrimitives.WriteUInt32LittleEndian(l, 0x07064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(l.AsSpan(8), (ulong)recordAt);
            BinaryPrimitives.WriteUInt32LittleEndian(l.AsSpan(16), 1);
            ms.Write(l);
        }
        var e = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(e, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(8), zip64 ? (ushort)0xFFFF : (ushort)entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(10), zip64 ? (ushort)0xFFFF : (ushort)entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(12), zip64 ? 0xFFFFFFFF : (uint)cdSize);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(16), zip64 ? 0xFFFFFFFF : (uint)cdOffset);
        ms.Write(e);
        return ms.ToArray();
    }
}
