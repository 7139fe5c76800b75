using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.Gguf;

/// <summary>The element encodings of ggml tensors, with the numeric ids GGUF files store (<c>enum ggml_type</c>).</summary>
public enum GgmlType : uint
{
    /// <summary>IEEE binary32.</summary>
    F32 = 0,
    /// <summary>IEEE binary16.</summary>
    F16 = 1,
    /// <summary>32-element blocks: fp16 scale, 4-bit quants offset by 8.</summary>
    Q4_0 = 2,
    /// <summary>32-element blocks: fp16 scale and minimum, 4-bit quants.</summary>
    Q4_1 = 3,
    /// <summary>32-element blocks: fp16 scale, 5-bit quants offset by 16.</summary>
    Q5_0 = 6,
    /// <summary>32-element blocks: fp16 scale and minimum, 5-bit quants.</summary>
    Q5_1 = 7,
    /// <summary>32-element blocks: fp16 scale, int8 quants.</summary>
    Q8_0 = 8,
    /// <summary>32-element blocks: fp16 scale and sum, int8 quants (activation type; not read).</summary>
    Q8_1 = 9,
    /// <summary>256-element K-quant, 2 bits, 4-bit sub-block scales and minimums.</summary>
    Q2_K = 10,
    /// <summary>256-element K-quant, 3 bits, 6-bit packed sub-block scales.</summary>
    Q3_K = 11,
    /// <summary>256-element K-quant, 4 bits, 6-bit packed sub-block scales and minimums.</summary>
    Q4_K = 12,
    /// <summary>256-element K-quant, 5 bits, 6-bit packed sub-block scales and minimums.</summary>
    Q5_K = 13,
    /// <summary>256-element K-quant, 6 bits, int8 sub-block scales.</summary>
    Q6_K = 14,
    /// <summary>256-element K-quant, 8 bits (activation type; not read).</summary>
    Q8_K = 15,
    /// <summary>i-quant (not read).</summary>
    IQ2_XXS = 16,
    /// <summary>i-quant (not read).</summary>
    IQ2_XS = 17,
    /// <summary>i-quant (not read).</summary>
    IQ3_XXS = 18,
    /// <summary>i-quant (not read).</summary>
    IQ1_S = 19,
    /// <summary>i-quant (not read).</summary>
    IQ4_NL = 20,
    /// <summary>i-quant (not read).</summary>
    IQ3_S = 21,
    /// <summary>i-quant (not read).</summary>
    IQ2_S = 22,
    /// <summary>i-quant (not read).</summary>
    IQ4_XS = 23,
    /// <summary>Signed 8-bit integer.</summary>
    I8 = 24,
    /// <summary>Signed 16-bit integer.</summary>
    I16 = 25,
    /// <summary>Signed 32-bit integer.</summary>
    I32 = 26,
    /// <summary>Signed 64-bit integer.</summary>
    I64 = 27,
    /// <summary>IEEE binary64.</summary>
    F64 = 28,
    /// <summary>i-quant (not read).</summary>
    IQ1_M = 29,
    /// <summary>bfloat16.</summary>
    BF16 = 30,
}

/// <summary>Block geometry of each <see cref="GgmlType"/> and how its tensors are presented.</summary>
public static class GgmlTypes
{
    /// <summary>
    /// Elements per block and bytes per block (ggml's <c>blck_size</c> and <c>type_size</c>), or null for an
    /// id this reader does not know.
    /// </summary>
    public static (int BlockSize, int TypeSize)? Layout(uint id) => (GgmlType)id switch
    {
        GgmlType.F32 => (1, 4),
        GgmlType.F16 => (1, 2),
        GgmlType.BF16 => (1, 2),
        GgmlType.F64 => (1, 8),
        GgmlType.I8 => (1, 1),
        GgmlType.I16 => (1, 2),
        GgmlType.I32 => (1, 4),
        GgmlType.I64 => (1, 8),
        GgmlType.Q4_0 => (32, 18),
        GgmlType.Q4_1 => (32, 20),
        GgmlType.Q5_0 => (32, 22),
        GgmlType.Q5_1 => (32, 24),
        GgmlType.Q8_0 => (32, 34),
        GgmlType.Q8_1 => (32, 36),
        GgmlType.Q2_K => (256, 84),
        GgmlType.Q3_K => (256, 110),
        GgmlType.Q4_K => (256, 144),
        GgmlType.Q5_K => (256, 176),
        GgmlType.Q6_K => (256, 210),
        GgmlType.Q8_K => (256, 292),
        GgmlType.IQ2_XXS => (256, 66),
        GgmlType.IQ2_XS => (256, 74),
        GgmlType.IQ3_XXS => (256, 98),
        GgmlType.IQ1_S => (256, 50),
        GgmlType.IQ4_NL => (32, 18),
        GgmlType.IQ3_S => (256, 110),
        GgmlType.IQ2_S => (256, 82),
        GgmlType.IQ4_XS => (256, 136),
        GgmlType.IQ1_M => (256, 56),
        _ => null,
    };

    /// <summary>
    /// The element type a tensor of <paramref name="type"/> is presented with: the stored type for plain
    /// element arrays, <see cref="DType.F32"/> (what ggml dequantizes to) for block-quantized types.
    /// </summary>
    public static DType LogicalDType(GgmlType type) => type switch
    {
        GgmlType.F32 => DType.F32,
        GgmlType.F16 => DType.F16,
        GgmlType.BF16 => DType.BF16,
        GgmlType.F64 => DType.F64,
        GgmlType.I8 => DType.I8,
        GgmlType.I16 => DType.I16,
        GgmlType.I32 => DType.I32,
        GgmlType.I64 => DType.I64,
        _ => DType.F32,
    };

    /// <summary>True when the tensor's bytes are a plain little-endian array of <see cref="LogicalDType"/>.</summary>
    public static bool IsPlain(GgmlType type) => Layout((uint)type) is (1, _);

    /// <summary>True when <see cref="GgmlDequantizer"/> can decode blocks of this type.</summary>
    public static bool CanDequantize(GgmlType type) =>
        type is GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0
            or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>The ggml name of a type id (<c>Q4_K</c>, <c>F16</c> ...), or <c>type N</c> when unknown.</summary>
    public static string Name(uint id) => Layout(id) is null ? $"type {id}" : ((GgmlType)id).ToString();
}
