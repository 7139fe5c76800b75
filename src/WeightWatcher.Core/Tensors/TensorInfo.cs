namespace WeightWatcher.Core.Tensors;

/// <summary>
/// Everything known about a tensor from a model's header, without its bytes: name, element type,
/// shape (row-major, as stored), and where its bytes live (file and absolute byte range).
/// </summary>
/// <param name="Name">Key of the tensor in the model (e.g. <c>features.3.weight</c>).</param>
/// <param name="DType">Stored element type.</param>
/// <param name="Shape">Dimensions in row-major (C) order.</param>
/// <param name="SourceFile">File holding the bytes (a shard of a sharded model, or the model file itself).</param>
/// <param name="Offset">Absolute offset of the first byte in <paramref name="SourceFile"/>.</param>
/// <param name="ByteLength">Number of bytes: element count times element size.</param>
/// <param name="ContainerEntry">For archives (npz): the entry holding the bytes; <paramref name="Offset"/> is then relative to the entry.</param>
/// <param name="Unreadable">Why the elements cannot be decoded (e.g. a quantization this reader does not know), or null;
/// such a tensor is listed, and its layer is skipped with this reason instead of failing.</param>
public sealed record TensorInfo(string Name, DType DType, long[] Shape, string SourceFile, long Offset, long ByteLength, string? ContainerEntry = null, string? Unreadable = null)
{
    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public long ElementCount => CountElements(Shape);

    /// <summary>
    /// True when <paramref name="other"/> describes the same stored tensor (file, byte range, shape), even as
    /// a copy of this header (records compare arrays by reference).
    /// </summary>
    public bool SameBytes(TensorInfo other) =>
        ReferenceEquals(this, other) || (SourceFile == other.SourceFile && Offset == other.Offset && ByteLength == other.ByteLength
            && ContainerEntry == other.ContainerEntry && Shape.AsSpan().SequenceEqual(other.Shape));

    /// <summary>Shape as text, e.g. <c>(64, 3, 3, 3)</c>.</summary>
    public string ShapeText => "(" + string.Join(", ", Shape) + ")";

    /// <summary>Product of the dimensions, or -1 when it overflows 64 bits.</summary>
    public static long CountElements(IReadOnlyList<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                return -1;
            }
            try
            {
                n = checked(n * d);
            }
            catch (OverflowException)
            {
                return -1;
            }
        }
        return n;
    }
}
