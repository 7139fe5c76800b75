using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace WeightWatcher.Core.Tensors;

/// <summary>Widens stored little-endian elements of any <see cref="DType"/> to double.</summary>
public static class ElementConverter
{
    /// <summary>
    /// Converts <paramref name="source"/> (little-endian elements of <paramref name="type"/>) into
    /// <paramref name="destination"/>, which must hold exactly source.Length / size elements.
    /// </summary>
    public static void ToDouble(ReadOnlySpan<byte> source, DType type, Span<double> destination)
    {
        int size = DTypes.SizeOf(type);
        if (source.Length != destination.Length * size)
        {
            throw new ArgumentException($"byte count {source.Length} is not {destination.Length} x {size}");
        }
        switch (type)
        {
            case DType.F64 when BitConverter.IsLittleEndian:
                MemoryMarshal.Cast<byte, double>(source).CopyTo(destination);
                break;
            case DType.F64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadDoubleLittleEndian(source.Slice(i * 8, 8));
                }
                break;
            case DType.F32 when BitConverter.IsLittleEndian:
                WidenFloats(MemoryMarshal.Cast<byte, float>(source), destination);
                break;
            case DType.F32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source.Slice(i * 4, 4));
                }
                break;
            case DType.F16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (double)BinaryPrimitives.ReadHalfLittleEndian(source.Slice(i * 2, 2));
                }
                break;
            case DType.BF16:
                for (int i = 0; i < destination.Length; i++)
                {
                    uint bits = (uint)BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(i * 2, 2)) << 16;
                    destination[i] = BitConverter.UInt32BitsToSingle(bits);
                }
                break;
            case DType.I64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt64LittleEndian(source.Slice(i * 8, 8));
                }
                break;
            case DType.U64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(i * 8, 8));
                }
                break;
            case DType.I32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt32LittleEndian(source.Slice(i * 4, 4));
                }
                break;
            case DType.U32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(i * 4, 4));
                }
                break;
            case DType.I16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt16LittleEndian(source.Slice(i * 2, 2));
                }
                break;
            case DType.U16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(i * 2, 2));
                }
                break;
            case DType.I8:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (sbyte)source[i];
                }
                break;
            case DType.U8:
            case DType.Bool:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = source[i];
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    /// <summary>float32 to float64, eight at a time where the hardware allows (the hot path of reading weights).</summary>
    private static void WidenFloats(ReadOnlySpan<float> source, Span<double> destination)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= source.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.Create(source.Slice(i, Vector256<float>.Count)));
                lower.CopyTo(destination.Slice(i, Vector256<double>.Count));
                upper.CopyTo(destination.Slice(i + Vector256<double>.Count, Vector256<double>.Count));
            }
        }
        for (; i < source.Length; i++)
        {
            destination[i] = source[i];
        }
    }
}
