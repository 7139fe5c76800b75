using System.Buffers.Binary;
using System.Text;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.ModelFiles;

namespace WeightWatcher.Core.Tests.Formats;

/// <summary>
/// Broken or hostile safetensors files: each is refused with a <see cref="ModelFormatException"/> naming
/// the file, the tensor concerned and the reason, at open time or (when the header alone is
/// consistent) when the tensor is read.
/// </summary>
public sealed class SafetensorsBadInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string header, byte[] data, string name = "model.safetensors")
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, Safetensors(header, data));
        return path;
    }

    private static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    private string WriteValid()
    {
        string path = _dir.File("valid.safetensors");
        SafetensorsWriter.Write(path, [new NamedTensor("w.weight", [3, 4], Values(12, 1)), new NamedTensor("v.weight", [2, 2], Values(4, 2))]);
        return path;
    }

    [Fact]
    public void Valid_file_reads_back_in_lexical_order_with_identical_values()
    {
        string path = _dir.File("ok.safetensors");
        var z = Values(12, 3);
        var a = Values(6, 4);
        SafetensorsWriter.Write(path, [new NamedTensor("z.weight", [3, 4], z), new NamedTensor("a.weight", [2, 3], a)]);
        using var reader = ModelOpener.Open(path);
        Assert.Equal("safetensors", reader.FormatName);
        Assert.Equal(["a.weight", "z.weight"], reader.Tensors.Select(t => t.Name));
        Assert.Equal(a.Select(v => (double)v), reader.ReadTensor(reader.Tensors[0]));
        Assert.Equal(z.Select(v => (double)v), reader.ReadTensor(reader.Tensors[1]));
    }

    [Fact]
    public void File_shorter_than_the_length_field_is_refused()
    {
        string path = _dir.File("tiny.safetensors");
        File.WriteAllBytes(path, [8, 0, 0, 0, 0]);
        AssertRejected(() => SafetensorsReader.OpenFile(path), path, null, "truncated", "5 bytes");
        AssertOpenRejected(path, null, "unrecognised");
    }

    [Fact]
    public void Header_cut_short_is_refused()
    {
        string valid = WriteValid();
        string path = _dir.File("cut.safetensors");
        File.WriteAllBytes(path, File.ReadAllBytes(valid)[..40]);
        AssertOpenRejected(path, null, "header length", "beyond the end of the file");
    }

    [Fact]
    public void Data_area_cut_short_is_refused_naming_the_tensor_beyond_the_end()
    {
        string valid = WriteValid();
        string path = _dir.File("short.safetensors");
        var bytes = File.ReadAllBytes(valid);
        File.WriteAllBytes(path, bytes[..^4]);
        // The writer puts w.weight (48 bytes) first, then v.weight (16 bytes): v.weight now ends past the data.
        AssertOpenRejected(path, "v.weight", "beyond the data area");
    }

    [Fact]
    public void File_that_shrinks_after_opening_fails_when_the_tensor_is_read()
    {
        string path = WriteValid();
        using var reader = SafetensorsReader.OpenFile(path);
        var v = reader.Tensors.Single(t => t.Name == "v.weight");
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            fs.SetLength(fs.Length - 8);
        }
        AssertRejected(() => reader.ReadTensor(v), path, "v.weight", "beyond the end of the file");
    }

    [Fact]
    public void Shrunken_file_is_detected_before_memory_is_allocated_for_the_tensor()
    {
        // 4M float32 elements: reading would need 32 MB of doubles; the check must come first.
        string path = _dir.File("big.safetensors");
        SafetensorsWriter.Write(path, [new NamedTensor("big.weight", [2048, 2048], new float[2048 * 2048])]);
        using var reader = SafetensorsReader.OpenFile(path);
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            fs.SetLength(fs.Length / 2);
        }
        // The caller's buffer (as the analyzer rents it); the reader itself must check before it reads or allocates.
        var destination = new double[2048 * 2048];
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertRejected(() => reader.ReadTensor(reader.Tensors[0], destination), path, "big.weight", "beyond the end of the file");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000, "nothing allocated for bytes that are not there");
        Assert.All(destination, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Header_length_beyond_the_file_is_refused()
    {
        var header = Encoding.UTF8.GetBytes("{" + Entry("a", "F32", "[1]", 0, 4) + "}");
        string path = _dir.File("long.safetensors");
        File.WriteAllBytes(path, SafetensorsRaw((ulong)header.Length + 5, header, F32(1f)));
        AssertOpenRejected(path, null, $"header length {header.Length + 5}", "beyond the end of the file");
    }

    [Theory]
    [InlineData(1UL << 60)]
    [InlineData(ulong.MaxValue)]
    [InlineData(100_000_001UL)]
    public void Absurd_header_length_is_refused_without_allocating(ulong length)
    {
        string path = _dir.File("absurd.safetensors");
        File.WriteAllBytes(path, SafetensorsRaw(length, Encoding.UTF8.GetBytes("{}"), []));
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertOpenRejected(path, null, $"header length {length}", "exceeds the limit");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000, "the header buffer must not be allocated");
    }

    [Theory]
    [InlineData("{\"a\": ", "not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",}}", "not valid JSON")]
    [InlineData("{} trailing", "not valid JSON")]
    public void Invalid_header_json_is_refused(string header, string reason)
    {
        string path = Write(header, []);
        AssertOpenRejected(path, null, reason);
    }

    [Fact]
    public void Header_with_invalid_utf8_is_refused()
    {
        var header = Encoding.UTF8.GetBytes("{\"aX\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        header[3] = 0xFF;
        string path = _dir.File("utf8.safetensors");
        File.WriteAllBytes(path, SafetensorsRaw((ulong)header.Length, header, F32(1f)));
        AssertOpenRejected(path, null, "UTF-8");
    }

    [Theory]
    [InlineData("{\"a\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"a\":{\"dtype\":\"F\\udc0032\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    public void Header_string_with_a_lone_surrogate_escape_is_refused(string header)
    {
        // "\ud800" is valid JSON syntax but not a valid string: it must not surface as InvalidOperationException.
        string path = Write(header, F32(1f));
        AssertOpenRejected(path, null, "not valid Unicode");
    }

    [Fact]
    public void Lone_surrogate_inside_metadata_is_ignored_like_the_rest_of_the_metadata()
    {
        string path = Write("{\"__metadata__\":{\"\\ud800\":\"\\udfff\"}," + Entry("a", "F32", "[1]", 0, 4) + "}", F32(1f));
        Assert.Equal(1, OpenAndReadAll(path));
    }

    [Fact]
    public void Header_nested_too_deeply_is_refused()
    {
        string path = Write("{\"__metadata__\":" + new string('[', 100) + new string(']', 100) + "}", []);
        AssertOpenRejected(path, null, "not valid JSON");
    }

    [Fact]
    public void Header_that_is_a_json_array_is_refused()
    {
        string path = Write("[{\"dtype\":\"F32\"}]", []);
        AssertRejected(() => SafetensorsReader.OpenFile(path), path, null, "not a JSON object");
        // Content detection does not recognise it as safetensors at all; still a clear error.
        AssertOpenRejected(path, null, "unrecognised");
    }

    [Fact]
    public void Unknown_dtype_is_refused()
    {
        string path = Write("{" + Entry("layer.weight", "Q7", "[2]", 0, 2) + "}", new byte[2]);
        AssertOpenRejected(path, "layer.weight", "unsupported dtype 'Q7'");
    }

    [Theory]
    [InlineData("[-1, 4]")]
    [InlineData("[2.5, 4]")]
    [InlineData("[\"2\", 4]")]
    [InlineData("[1e2, 4]")]
    [InlineData("[null]")]
    [InlineData("[99999999999999999999]")]
    public void Negative_or_non_integer_shape_entry_is_refused(string shape)
    {
        string path = Write("{" + Entry("t", "F32", shape, 0, 16) + "}", new byte[16]);
        AssertOpenRejected(path, "t", "not a non-negative integer");
    }

    [Theory]
    [InlineData("{\"t\":5}", "not an object")]
    [InlineData("{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "'dtype'")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "'shape'")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", "'data_offsets'")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", "'data_offsets'")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",4]}}", "data_offsets")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,null]}}", "data_offsets")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", "data_offsets")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.5,4]}}", "data_offsets")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", "rank 17")]
    public void Malformed_header_entry_is_refused(string header, string reason)
    {
        string path = Write(header, new byte[8]);
        AssertOpenRejected(path, "t", reason);
    }

    [Fact]
    public void Data_offsets_out_of_range_are_refused()
    {
        string path = Write("{" + Entry("t", "F32", "[4]", 4, 20) + "}", new byte[16]);
        AssertOpenRejected(path, "t", "data_offsets [4, 20)", "beyond the data area (16 bytes)");
    }

    [Fact]
    public void Reversed_data_offsets_are_refused()
    {
        string path = Write("{" + Entry("t", "F32", "[4]", 16, 0) + "}", new byte[16]);
        AssertOpenRejected(path, "t", "not an ordered pair");
    }

    [Fact]
    public void Overlapping_tensors_are_refused()
    {
        string header = "{" + Entry("a", "F32", "[4]", 0, 16) + "," + Entry("b", "F32", "[4]", 8, 24) + "}";
        string path = Write(header, new byte[24]);
        var e = AssertOpenRejected(path, "b", "overlaps");
        Assert.Contains("'a'", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_tensor_names_are_refused()
    {
        string header = "{" + Entry("a", "F32", "[1]", 0, 4) + "," + Entry("a", "F32", "[1]", 4, 8) + "}";
        string path = Write(header, new byte[8]);
        AssertOpenRejected(path, "a", "more than once");
    }

    [Theory]
    [InlineData("F32", "[2, 2]", 12, "needs 16 bytes", "give 12")]
    [InlineData("F16", "[2, 2]", 16, "needs 8 bytes", "give 16")]
    [InlineData("I64", "[3]", 12, "needs 24 bytes", "give 12")]
    [InlineData("F32", "[]", 0, "needs 4 bytes", "give 0")]
    public void Dtype_shape_and_byte_count_mismatch_is_refused(string dtype, string shape, int bytes, string need, string give)
    {
        string path = Write("{" + Entry("t", dtype, shape, 0, bytes) + "}", new byte[32]);
        AssertOpenRejected(path, "t", need, give);
    }

    [Fact]
    public void Shape_whose_element_count_overflows_64_bits_is_refused()
    {
        string path = Write("{" + Entry("t", "F32", "[4294967296, 4294967296, 4]", 0, 16) + "}", new byte[16]);
        AssertOpenRejected(path, "t", "overflowing");
    }

    [Fact]
    public void Header_claiming_terabytes_is_refused_without_allocating()
    {
        const long bytes = 4_000_000_000_000;
        string path = Write("{" + Entry("huge.weight", "F32", "[1000000, 1000000]", 0, bytes) + "}", new byte[16]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertOpenRejected(path, "huge.weight", $"[0, {bytes})", "beyond the data area");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
    }

    [Fact]
    public void Consistent_header_of_a_tensor_above_the_element_limit_fails_on_read_without_allocating()
    {
        long count = ReaderLimits.MaxTensorElements + 1;
        string header = "{" + Entry("big.weight", "U8", $"[{count}]", 0, count) + "}";
        string path = _dir.File("sparse.safetensors");
        var head = Safetensors(header, []);
        using (var fs = File.Create(path))
        {
            fs.Write(head);
            fs.SetLength(head.Length + count); // sparse: no real disk use
        }
        using var reader = ModelOpener.Open(path);
        var t = Assert.Single(reader.Tensors);
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertRejected(() => reader.ReadTensor(t), path, "big.weight", "more than the limit");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
    }

    [Fact]
    public void Length_field_is_read_little_endian()
    {
        // A big-endian length field reads as an absurd little-endian one and must be refused, not trusted.
        var header = Encoding.UTF8.GetBytes("{}      ");
        var bytes = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        string path = _dir.File("be.safetensors");
        File.WriteAllBytes(path, bytes);
        AssertRejected(() => SafetensorsReader.OpenFile(path), path, null, "exceeds the limit");
    }
}
