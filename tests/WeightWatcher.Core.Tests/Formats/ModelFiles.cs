using System.Buffers.Binary;
using System.Text;
using WeightWatcher.Core.Formats;

namespace WeightWatcher.Core.Tests.Formats;

/// <summary>
/// Builders for hand-made model files (raw safetensors headers, raw .npy headers) and the assertion
/// that a bad input is refused with a <see cref="ModelFormatException"/> naming file, tensor and reason.
/// </summary>
internal static class ModelFiles
{
    /// <summary>A safetensors file with the given header text (length field = its UTF-8 length) and data area.</summary>
    public static byte[] Safetensors(string header, byte[] data) =>
        SafetensorsRaw((ulong)Encoding.UTF8.GetByteCount(header), Encoding.UTF8.GetBytes(header), data);

    /// <summary>A safetensors file whose length field says <paramref name="headerLength"/>, whatever follows.</summary>
    public static byte[] SafetensorsRaw(ulong headerLength, byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Little-endian float32 bytes.</summary>
    public static byte[] F32(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }
        return bytes;
    }

    /// <summary>A version-1.0 .npy file with the given header dictionary and raw data bytes.</summary>
    public static byte[] Npy(string dict, byte[] data, byte major = 1)
    {
        int prefix = major == 1 ? 10 : 12;
        int pad = (64 - ((prefix + dict.Length + 1) % 64)) % 64;
        var header = Encoding.Latin1.GetBytes(dict + new string(' ', pad) + "\n");
        var bytes = new byte[prefix + header.Length + data.Length];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY").CopyTo(bytes, 1);
        bytes[6] = major;
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)header.Length);
        }
        header.CopyTo(bytes, prefix);
        data.CopyTo(bytes, prefix + header.Length);
        return bytes;
    }

    /// <summary>Deterministic float32 values.</summary>
    public static float[] Values(int count, int seed)
    {
        var rng = new Random(seed);
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return v;
    }

    /// <summary>Opens <paramref name="path"/> with <see cref="ModelOpener"/> and reads every tensor.</summary>
    public static int OpenAndReadAll(string path)
    {
        using var reader = ModelOpener.Open(path);
        foreach (var t in reader.Tensors)
        {
            var values = reader.ReadTensor(t);
            Assert.Equal(t.ElementCount, values.LongLength);
        }
        return reader.Tensors.Count;
    }

    /// <summary>
    /// Asserts that <paramref name="action"/> throws exactly <see cref="ModelFormatException"/> whose message
    /// names <paramref name="file"/>, <paramref name="tensor"/> (when given) and contains every reason fragment.
    /// </summary>
    public static ModelFormatException AssertRejected(Action action, string file, string? tensor, params string[] reason)
    {
        var e = Assert.Throws<ModelFormatException>(action);
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        if (tensor is not null)
        {
            Assert.Equal(tensor, e.Tensor);
            Assert.Contains($"'{tensor}'", e.Message, StringComparison.Ordinal);
        }
        foreach (var fragment in reason)
        {
            Assert.Contains(fragment, e.Reason, StringComparison.OrdinalIgnoreCase);
        }
        return e;
    }

    /// <summary>Asserts that opening <paramref name="path"/> and reading every tensor is refused clearly.</summary>
    public static ModelFormatException AssertOpenRejected(string path, string? tensor, params string[] reason) =>
        AssertRejected(() => OpenAndReadAll(path), path, tensor, reason);
}
