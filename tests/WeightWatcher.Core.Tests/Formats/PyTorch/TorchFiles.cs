using System.Buffers.Binary;
using System.IO.Compression;
using WeightWatcher.Core.Formats.PyTorch;

namespace WeightWatcher.Core.Tests.Formats.PyTorch;

/// <summary>One storage of a hand-built PyTorch file: its key, storage class and raw little-endian bytes.</summary>
internal sealed record TorchStorage(string Key, string TypeName, int ElementSize, byte[] Bytes, long? DeclaredNumel = null)
{
    /// <summary>The element count the pickle declares: the bytes' count unless the file's data is written separately.</summary>
    public long Numel => DeclaredNumel ?? Bytes.Length / ElementSize;

    public static TorchStorage F32(string key, params float[] v) => new(key, "FloatStorage", 4, Encode(v.Length, 4, (s, i) => BinaryPrimitives.WriteSingleLittleEndian(s, v[i])));

    public static TorchStorage F64(string key, params double[] v) => new(key, "DoubleStorage", 8, Encode(v.Length, 8, (s, i) => BinaryPrimitives.WriteDoubleLittleEndian(s, v[i])));

    public static TorchStorage F16(string key, params float[] v) => new(key, "HalfStorage", 2, Encode(v.Length, 2, (s, i) => BinaryPrimitives.WriteHalfLittleEndian(s, (Half)v[i])));

    public static TorchStorage BF16(string key, params float[] v) => new(key, "BFloat16Storage", 2, Encode(v.Length, 2, (s, i) => BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)(BitConverter.SingleToUInt32Bits(v[i]) >> 16))));

    public static TorchStorage I64(string key, params long[] v) => new(key, "LongStorage", 8, Encode(v.Length, 8, (s, i) => BinaryPrimitives.WriteInt64LittleEndian(s, v[i])));

    private delegate void Writer(Span<byte> at, int index);

    private static byte[] Encode(int count, int size, Writer write)
    {
        var b = new byte[count * size];
        for (int i = 0; i < count; i++)
        {
            write(b.AsSpan(i * size, size), i);
        }
        return b;
    }
}

/// <summary>A tensor entry of a hand-built state dict: a view of a storage.</summary>
internal sealed record TorchTensorSpec(string Name, TorchStorage Storage, long[] Shape, long[]? Stride = null, long Offset = 0)
{
    public long[] Strides => Stride ?? RowMajor(Shape);

    public static long[] RowMajor(long[] shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            s[k] = acc;
            acc *= shape[k];
        }
        return s;
    }
}

/// <summary>Builds PyTorch files (zip and legacy) from hand-written pickles, byte for byte as torch.save lays them out.</summary>
internal static class TorchFiles
{
    /// <summary>
    /// The pickle of a state dict as torch.save writes it (protocol 2, _rebuild_tensor_v2, persistent ids),
    /// optionally wrapped as {wrapperKey: state_dict, 'epoch': 3} and with extra non-tensor entries.
    /// </summary>
    public static byte[] StateDictPickle(IReadOnlyList<TorchTensorSpec> tensors, bool legacy = false, string? wrapperKey = null, bool ordered = true)
    {
        var p = new PickleBuilder().Proto(2);
        if (wrapperKey is not null)
        {
            p.EmptyDict().Mark().Str("epoch").Int(3).Str(wrapperKey);
        }
        if (ordered)
        {
            p.Global("collections", "OrderedDict").EmptyTuple().Reduce();
        }
        else
        {
            p.EmptyDict();
        }
        p.Mark();
        p.Str("note").Str("not a tensor");
        foreach (var t in tensors)
        {
            p.Str(t.Name);
            p.Global("torch._utils", legacy ? "_rebuild_tensor" : "_rebuild_tensor_v2");
            p.Mark();
            p.Mark().Str("storage").Global("torch", t.Storage.TypeName).Str(t.Storage.Key).Str("cpu").Int(t.Storage.Numel);
            if (legacy)
            {
                p.None();
            }
            p.Op('t').Op('Q');
            p.Int(t.Offset).Tuple(t.Shape).Tuple(t.Strides);
            if (!legacy)
            {
                p.False().Global("collections", "OrderedDict").EmptyTuple().Reduce();
            }
            p.Op('t').Reduce();
        }
        p.Op('u');
        if (wrapperKey is not null)
        {
            p.Op('u');
        }
        return p.Stop().ToArray();
    }

    /// <summary>A torch.save zip: archive/data.pkl, archive/data/&lt;key&gt; per storage, archive/byteorder, archive/version.</summary>
    public static byte[] Zip(byte[] pickle, IEnumerable<TorchStorage> storages, bool deflate = false, string byteOrder = "little")
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            var level = deflate ? CompressionLevel.Optimal : CompressionLevel.NoCompression;
            Add(zip, "archive/data.pkl", pickle, level);
            Add(zip, "archive/byteorder", System.Text.Encoding.ASCII.GetBytes(byteOrder), level);
            foreach (var s in storages.DistinctBy(s => s.Key))
            {
                Add(zip, "archive/data/" + s.Key, s.Bytes, level);
            }
            Add(zip, "archive/version", "3\n"u8.ToArray(), level);
        }
        return ms.ToArray();
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes, CompressionLevel level)
    {
        var e = zip.CreateEntry(name, level);
        using var s = e.Open();
        s.Write(bytes);
    }

    /// <summary>A legacy file: magic, protocol, sys_info, the main pickle, the key list, then each storage (count + bytes).</summary>
    public static byte[] Legacy(byte[] mainPickle, IReadOnlyList<TorchStorage> storages, bool littleEndian = true)
    {
        var ms = new MemoryStream();
        ms.Write(new PickleBuilder().Proto(2).Op(0x8a).Raw(10).Raw(TorchLegacyLoader.Magic.ToByteArray()).Stop().ToArray());
        ms.Write(new PickleBuilder().Proto(2).Int(1001).Stop().ToArray());
        var sys = new PickleBuilder().Proto(2).EmptyDict().Mark().Str("protocol_version").Int(1001).Str("little_endian");
        sys = littleEndian ? sys.True() : sys.False();
        ms.Write(sys.Op('u').Stop().ToArray());
        ms.Write(mainPickle);
        var keys = new PickleBuilder().Proto(2).Op(']').Mark();
        var distinct = storages.DistinctBy(s => s.Key).ToList();
        foreach (var s in distinct)
        {
            keys.Str(s.Key);
        }
        ms.Write(keys.Op('e').Stop().ToArray());
        foreach (var s in distinct)
        {
            var count = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(count, s.Numel);
            ms.Write(count);
            ms.Write(s.Bytes);
        }
        return ms.ToArray();
    }

    /// <summary>A zip .pt file of the given tensors.</summary>
    public static byte[] ZipStateDict(IReadOnlyList<TorchTensorSpec> tensors, bool deflate = false, string? wrapperKey = null) =>
        Zip(StateDictPickle(tensors, wrapperKey: wrapperKey), tensors.Select(t => t.Storage), deflate);

    /// <summary>A legacy file of the given tensors.</summary>
    public static byte[] LegacyStateDict(IReadOnlyList<TorchTensorSpec> tensors, string? wrapperKey = null) =>
        Legacy(StateDictPickle(tensors, legacy: true, wrapperKey: wrapperKey), tensors.Select(t => t.Storage).ToList());
}
