using Google.Protobuf;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Onnx;
using WeightWatcher.Core.Formats.Onnx.Proto;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.Onnx.OnnxFixtures;
using DataType = WeightWatcher.Core.Formats.Onnx.Proto.TensorProto.Types.DataType;

namespace WeightWatcher.Core.Tests.Formats.Onnx;

/// <summary>
/// Broken or hostile ONNX files: each is refused with a <see cref="ModelFormatException"/> naming the
/// file, the initializer concerned and the reason.
/// </summary>
public sealed class OnnxBadInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ModelFormatException Rejected(Action open, string file, string? tensor, params string[] reasonParts)
    {
        var e = Assert.Throws<ModelFormatException>(open);
        Assert.Equal(file, e.File);
        Assert.Equal(tensor, e.Tensor);
        Assert.Contains(file, e.Message);
        if (tensor is not null)
        {
            Assert.Contains(tensor, e.Message);
        }
        foreach (var part in reasonParts)
        {
            Assert.Contains(part, e.Reason);
        }
        return e;
    }

    private string ValidModel(string name = "valid.onnx") =>
        Write(_dir.File(name), Model(RawFloat("first.weight", [8, 6], Values(48, 1)), RawFloat("second.weight", [6, 5], Values(30, 2))));

    [Fact]
    public void Truncated_file_is_refused_naming_the_initializer_cut()
    {
        var bytes = File.ReadAllBytes(ValidModel());
        // The second initializer's raw_data ends 4 bytes before the graph's last bytes (the node follows it).
        string path = _dir.File("truncated.onnx");
        File.WriteAllBytes(path, bytes[..^60]);
        var e = Rejected(() => OnnxReader.Open(path), path, "second.weight", "not a valid ONNX protobuf");
        Assert.Contains("truncated", e.Message, StringComparison.OrdinalIgnoreCase);
        // Truncated inside the first tensor's bytes, still detected as ONNX by its first fields.
        string cut = _dir.File("cut.onnx");
        File.WriteAllBytes(cut, bytes[..80]);
        Assert.Equal(ModelFileKind.Onnx, ModelOpener.Detect(cut));
        Rejected(() => ModelOpener.Open(cut), cut, "first.weight", "not a valid ONNX protobuf");
    }

    [Fact]
    public void Corrupted_tag_is_refused()
    {
        var bytes = File.ReadAllBytes(ValidModel());
        int nameAt = IndexOf(bytes, "second.weight"u8.ToArray());
        // The dims tag of the second initializer precedes its data_type, name and raw_data: overwrite the
        // byte before the name's length with an invalid wire type (7).
        string path = _dir.File("corrupt.onnx");
        bytes[nameAt - 2] = 0x47;
        File.WriteAllBytes(path, bytes);
        Rejected(() => OnnxReader.Open(path), path, "initializer #1", "not a valid ONNX protobuf");
    }

    [Fact]
    public void Initializer_claiming_terabytes_is_refused_before_allocating()
    {
        string path = Write(_dir.File("huge.onnx"), Model(RawFloat("huge.weight", [1L << 20, 1L << 20], Values(4, 1))));
        Rejected(() => OnnxReader.Open(path), path, "huge.weight", "raw_data holds 16 bytes", "4398046511104");
        string ext = Write(_dir.File("huge-ext.onnx"), Model(External("huge.weight", [1L << 20, 1L << 20], DataType.Float, "w.bin", 0, null)));
        File.WriteAllBytes(_dir.File("w.bin"), new byte[64]);
        Rejected(() => OnnxReader.Open(ext), ext, "huge.weight", "beyond the end of 'w.bin'");
        string overflow = Write(_dir.File("overflow.onnx"), Model(RawFloat("o", [1L << 40, 1L << 40], Values(4, 1))));
        Rejected(() => OnnxReader.Open(overflow), overflow, "o", "overflow");
    }

    [Fact]
    public void Raw_data_length_mismatch_is_refused()
    {
        var t = RawFloat("w", [3, 4], Values(12, 1));
        t.Dims[1] = 5;
        string path = Write(_dir.File("mismatch.onnx"), Model(t));
        Rejected(() => OnnxReader.Open(path), path, "w", "raw_data holds 48 bytes", "need 60");
    }

    [Fact]
    public void Typed_field_count_mismatch_and_missing_data_are_refused()
    {
        var t = Tensor("typed", [3, 4], DataType.Float);
        t.FloatData.AddRange(Values(11, 1));
        string path = Write(_dir.File("typed.onnx"), Model(t));
        Rejected(() => OnnxReader.Open(path), path, "typed", "float_data holds 11 values", "need 12");

        var wrongField = Tensor("wrong", [2], DataType.Float);
        wrongField.Int64Data.AddRange([1L, 2L]);
        string wrong = Write(_dir.File("wrong.onnx"), Model(wrongField));
        Rejected(() => OnnxReader.Open(wrong), wrong, "wrong", "holds none");
    }

    [Fact]
    public void Negative_dims_and_segments_are_refused()
    {
        var neg = RawFloat("neg", [3, 4], Values(12, 1));
        neg.Dims[0] = -3;
        string path = Write(_dir.File("neg.onnx"), Model(neg));
        Rejected(() => OnnxReader.Open(path), path, "neg", "negative dimension");

        var seg = RawFloat("seg", [3, 4], Values(12, 1));
        seg.Segment = new TensorProto.Types.Segment { Begin = 0, End = 6 };
        string segPath = Write(_dir.File("seg.onnx"), Model(seg));
        Rejected(() => OnnxReader.Open(segPath), segPath, "seg", "segmented");
    }

    [Fact]
    public void Missing_external_file_is_refused()
    {
        string path = Write(_dir.File("ext.onnx"), Model(External("w", [3, 4], DataType.Float, "absent.bin", 0, 48)));
        Rejected(() => OnnxReader.Open(path), path, "w", "'absent.bin' is missing");
        string noLocation = Write(_dir.File("noloc.onnx"), Model(External("w", [3, 4], DataType.Float, "x", 0, 48)));
        var model = Model(External("w", [3, 4], DataType.Float, "x", 0, 48));
        model.Graph.Initializer[0].ExternalData.RemoveAt(0);
        Write(noLocation, model);
        Rejected(() => OnnxReader.Open(noLocation), noLocation, "w", "no 'location'");
    }

    [Fact]
    public void External_paths_escaping_the_model_directory_are_refused()
    {
        Directory.CreateDirectory(_dir.File("model"));
        File.WriteAllBytes(_dir.File("outside.bin"), FloatBytes(Values(12, 1)));
        Directory.CreateDirectory(_dir.File("model-evil"));
        File.WriteAllBytes(_dir.File("model-evil/w.bin"), FloatBytes(Values(12, 1)));
        foreach (var (location, reason) in new[]
        {
            ("../outside.bin", "outside the model directory"),
            ("../model-evil/w.bin", "outside the model directory"),
            ("sub/../../outside.bin", "outside the model directory"),
            (_dir.File("outside.bin"), "absolute path"),
            ("bad\0name", "not a valid file name"),
            (".", "outside the model directory"),
        })
        {
            string path = Write(_dir.File("model/m.onnx"), Model(External("w", [3, 4], DataType.Float, location, 0, 48)));
            Rejected(() => OnnxReader.Open(path), path, "w", reason);
        }
    }

    [Fact]
    public void External_symbolic_link_leading_outside_the_model_directory_is_refused()
    {
        Directory.CreateDirectory(_dir.File("model"));
        File.WriteAllBytes(_dir.File("outside.bin"), FloatBytes(Values(12, 1)));
        File.WriteAllBytes(_dir.File("model/inside.bin"), FloatBytes(Values(12, 2)));
        File.CreateSymbolicLink(_dir.File("model/escape.bin"), _dir.File("outside.bin"));
        File.CreateSymbolicLink(_dir.File("model/alias.bin"), _dir.File("model/inside.bin"));
        string path = Write(_dir.File("model/m.onnx"), Model(External("w", [3, 4], DataType.Float, "escape.bin", 0, 48)));
        Rejected(() => OnnxReader.Open(path), path, "w", "symbolic link", "outside the model directory");
        // A linked folder on the way out counts as much as a linked file.
        Directory.CreateDirectory(_dir.File("elsewhere"));
        File.WriteAllBytes(_dir.File("elsewhere/data.bin"), FloatBytes(Values(12, 3)));
        Directory.CreateSymbolicLink(_dir.File("model/sub"), _dir.File("elsewhere"));
        string viaFolder = Write(_dir.File("model/f.onnx"), Model(External("w", [3, 4], DataType.Float, "sub/data.bin", 0, 48)));
        Rejected(() => OnnxReader.Open(viaFolder), viaFolder, "w", "symbolic link", "outside the model directory");
        // The model's own folder reached through a link is still the model directory.
        Directory.CreateSymbolicLink(_dir.File("model-link"), _dir.File("model"));
        Write(_dir.File("model/ok-linked.onnx"), Model(External("w", [3, 4], DataType.Float, "inside.bin", 0, 48)));
        using (var linked = OnnxReader.Open(_dir.File("model-link/ok-linked.onnx")))
        {
            Assert.Equal(Values(12, 2).Select(v => (double)v), linked.ReadTensor(linked.Tensors[0]));
        }
        string ok = Write(_dir.File("model/ok.onnx"), Model(External("w", [3, 4], DataType.Float, "alias.bin", 0, 48)));
        using var reader = OnnxReader.Open(ok);
        Assert.Equal(Values(12, 2).Select(v => (double)v), reader.ReadTensor(reader.Tensors[0]));
    }

    [Fact]
    public void External_length_and_offset_must_be_consistent()
    {
        File.WriteAllBytes(_dir.File("w.bin"), FloatBytes(Values(12, 1)));
        string badLength = Write(_dir.File("len.onnx"), Model(External("w", [3, 4], DataType.Float, "w.bin", 0, 40)));
        Rejected(() => OnnxReader.Open(badLength), badLength, "w", "length 40 does not match");
        string past = Write(_dir.File("past.onnx"), Model(External("w", [3, 4], DataType.Float, "w.bin", 8, 48)));
        Rejected(() => OnnxReader.Open(past), past, "w", "[8, 56) lies beyond the end");
        var model = Model(External("w", [3, 4], DataType.Float, "w.bin", 0, 48));
        model.Graph.Initializer[0].ExternalData[1].Value = "-1";
        string negative = Write(_dir.File("negoff.onnx"), model);
        Rejected(() => OnnxReader.Open(negative), negative, "w", "'offset' is '-1'");
    }

    [Fact]
    public void Model_without_graph_is_refused()
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "x" };
        string path = _dir.File("nograph.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        Assert.Equal(ModelFileKind.Unknown, ModelOpener.Detect(path));
        Rejected(() => OnnxReader.Open(path), path, null, "no graph");
    }

    [Fact]
    public void File_shrunk_after_opening_is_refused_when_read()
    {
        string path = ValidModel("shrink.onnx");
        using var reader = OnnxReader.Open(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(int)reader.Tensors[1].Offset]);
        Rejected(() => reader.ReadTensor(reader.Tensors[1]), path, "second.weight", "beyond the end of the file");
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }
        throw new InvalidOperationException("not found");
    }
}
