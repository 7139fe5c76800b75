using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.TfJs;

/// <summary>A run of a weight's bytes inside one shard file.</summary>
/// <param name="File">The shard file.</param>
/// <param name="Offset">Offset of the run in the shard.</param>
/// <param name="Length">Bytes in the run.</param>
public sealed record TfJsSegment(string File, long Offset, long Length);

/// <summary>
/// TF.js weight quantization: the stored type (uint8, uint16 or float16) and, for the integer types, the
/// affine map <c>value = q * scale + min</c>.
/// </summary>
/// <param name="StoredType">The type of the stored elements.</param>
/// <param name="Scale">The scale of the affine map.</param>
/// <param name="Min">The offset of the affine map.</param>
public sealed record TfJsQuantization(DType StoredType, double Scale, double Min);

/// <summary>
/// One entry of a TF.js <c>weightsManifest</c>: its header as the rest of the tool sees it (logical dtype,
/// shape; <see cref="TensorInfo.SourceFile"/> and <see cref="TensorInfo.Offset"/> name where its bytes start,
/// <see cref="TensorInfo.ByteLength"/> counts the stored bytes), and where those bytes lie: a weight may
/// span two or more shards of its group.
/// </summary>
/// <param name="Info">The tensor header.</param>
/// <param name="StoredType">The type of the stored elements.</param>
/// <param name="Quantization">The quantization, or null for weights stored as their dtype.</param>
/// <param name="Segments">The byte runs, in order.</param>
public sealed record TfJsWeight(TensorInfo Info, DType StoredType, TfJsQuantization? Quantization, IReadOnlyList<TfJsSegment> Segments);
