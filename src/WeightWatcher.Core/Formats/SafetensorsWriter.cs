using System.Buffers.Binary;
using System.Text.Json;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats;

/// <summary>A tensor held in memory, used to write models (benchmarks, demos, tests).</summary>
/// <param name="Name">Tensor key.</param>
/// <param name="Shape">Row-major dimensions.</param>
/// <param name="Values">Elements in row-major order.</param>
public sealed record NamedTensor(string Name, long[] Shape, float[] Values);

/// <summary>A tensor to be written whose values are produced only when its turn comes (bounded memory).</summary>
/// <param name="Name">Tensor key.</param>
/// <param name="Shape">Row-major dimensions.</param>
/// <param name="Generate">Produces the elements in row-major order.</param>
public sealed record LazyTensor(string Name, long[] Shape, Func<float[]> Generate);

/// <summary>Writes float32 tensors to a safetensors file, in the given order.</summary>
public static class SafetensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> as F32 to <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<NamedTensor> tensors) =>
        WriteLazy(path, tensors.Select(t => new LazyTensor(t.Name, t.Shape, () => t.Values)));

    /// <summary>Writes tensors generated one at a time, so only one is in memory at once.</summary>
    public static void WriteLazy(string path, IEnumerable<LazyTensor> tensors)
    {
        var list = tensors.ToList();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            long offset = 0;
            foreach (var t in list)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (var d in t.Shape)
                {
                    w.WriteNumberValue(d);
                }
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += TensorInfo.CountElements(t.Shape) * 4;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        var header = ms.ToArray().ToList();
        while (header.Count % 8 != 0)
        {
            header.Add((byte)' ');
        }
        using var fs = File.Create(path);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Count);
        fs.Write(len);
        fs.Write(header.ToArray());
        foreach (var t in list)
        {
            var values = t.Generate();
            if (values.LongLength != TensorInfo.CountElements(t.Shape))
            {
                throw new ArgumentException($"tensor '{t.Name}': {values.LongLength} values for shape ({string.Join(", ", t.Shape)})");
            }
            // float32 little-endian is the in-memory layout on every platform .NET runs on here.
            fs.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
    }
}
