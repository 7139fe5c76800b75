using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace WeightWatcher.Core.Formats;

/// <summary>Writes float32 tensors as numpy <c>.npy</c> or <c>.npz</c> (one entry per tensor, in order, like <c>np.savez</c>).</summary>
public static class NumpyWriter
{
    /// <summary>Writes an <c>.npz</c> archive; <paramref name="compress"/> selects <c>np.savez_compressed</c>'s deflate.</summary>
    public static void WriteNpz(string path, IEnumerable<NamedTensor> tensors, bool compress = false)
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        foreach (var t in tensors)
        {
            var entry = zip.CreateEntry(t.Name + ".npy", compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            using var s = entry.Open();
            WriteNpy(s, t);
        }
    }

    /// <summary>Writes one tensor as <c>.npy</c> (version 1.0, little-endian float32, C order).</summary>
    public static void WriteNpy(Stream s, NamedTensor t)
    {
        string shape = t.Shape.Length == 1 ? $"({t.Shape[0]},)" : "(" + string.Join(", ", t.Shape) + ")";
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - (total % 64)) % 64;
        string header = dict + new string(' ', pad) + "\n";
        s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        s.Write(len);
        s.Write(Encoding.Latin1.GetBytes(header));
        var bytes = new byte[t.Values.Length * 4];
        for (int i = 0; i < t.Values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), t.Values[i]);
        }
        s.Write(bytes);
    }
}
