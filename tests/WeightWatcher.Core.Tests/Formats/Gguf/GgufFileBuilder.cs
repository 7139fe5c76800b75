using System.Text;
using WeightWatcher.Core.Formats.Gguf;

namespace WeightWatcher.Core.Tests.Formats.Gguf;

/// <summary>Writes GGUF files for the tests, following the format's layout (little-endian, v2/v3).</summary>
internal sealed class GgufFileBuilder
{
    private readonly List<(string Key, uint Type, Action<BinaryWriter> Write)> _metadata = [];
    private readonly List<(string Name, long[] Ne, uint Type, byte[] Data, ulong? Offset)> _tensors = [];

    public uint Version { get; init; } = 3;

    /// <summary>When set, written as <c>general.alignment</c> (uint32) and used for the layout.</summary>
    public int? Alignment { get; init; }

    /// <summary>Byte offsets (relative to the data section) of the tensors, after <see cref="Build"/>.</summary>
    public List<long> Offsets { get; } = [];

    /// <summary>Absolute start of the data section, after <see cref="Build"/>.</summary>
    public long DataStart { get; private set; }

    public GgufFileBuilder Meta(string key, GgufValueType type, Action<BinaryWriter> write)
    {
        _metadata.Add((key, (uint)type, write));
        return this;
    }

    public GgufFileBuilder MetaU32(string key, uint v) => Meta(key, GgufValueType.UInt32, w => w.Write(v));

    public GgufFileBuilder MetaString(string key, string v) => Meta(key, GgufValueType.String, w => WriteString(w, v));

    /// <summary>Adds a tensor; <paramref name="ne"/> in GGUF order (fastest-varying first).</summary>
    public GgufFileBuilder Tensor(string name, long[] ne, GgmlType type, byte[] data)
    {
        _tensors.Add((name, ne, (uint)type, data, null));
        return this;
    }

    /// <summary>Adds a tensor with a raw type id and, optionally, a forced offset (for broken files).</summary>
    public GgufFileBuilder Tensor(string name, long[] ne, uint rawType, byte[] data, ulong? offset = null)
    {
        _tensors.Add((name, ne, rawType, data, offset));
        return this;
    }

    public static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    public byte[] Build()
    {
        int alignment = Alignment ?? GgufHeader.DefaultAlignment;
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write("GGUF"u8.ToArray());
        w.Write(Version);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)(_metadata.Count + (Alignment is null ? 0 : 1)));
        if (Alignment is { } a)
        {
            WriteString(w, "general.alignment");
            w.Write((uint)GgufValueType.UInt32);
            w.Write((uint)a);
        }
        foreach (var (key, type, write) in _metadata)
        {
            WriteString(w, key);
            w.Write(type);
            write(w);
        }
        Offsets.Clear();
        long offset = 0;
        foreach (var (name, ne, type, data, forced) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)ne.Length);
            foreach (var d in ne)
            {
                w.Write((ulong)d);
            }
            w.Write(type);
            w.Write(forced ?? (ulong)offset);
            Offsets.Add(offset);
            offset = Align(offset + data.Length, alignment);
        }
        w.Flush();
        Pad(ms, alignment);
        DataStart = ms.Length;
        for (int i = 0; i < _tensors.Count; i++)
        {
            ms.Write(_tensors[i].Data);
            Pad(ms, alignment);
        }
        return ms.ToArray();
    }

    private static long Align(long x, int a) => (x + a - 1) / a * a;

    private static void Pad(MemoryStream ms, int alignment)
    {
        while (ms.Length % alignment != 0)
        {
            ms.WriteByte(0);
        }
    }

    public static byte[] F32(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), values[i]);
        }
        return bytes;
    }

    public static byte[] F16(params float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), (Half)values[i]);
        }
        return bytes;
    }

    public static byte[] BF16(params float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            ushort top = (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16);
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), top);
        }
        return bytes;
    }
}
