using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.PyTorch;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Tensors;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Formats.PyTorch;

/// <summary>PyTorch zip and legacy files built byte by byte: dtypes, views, checkpoints, shards, detection.</summary>
public sealed class PyTorchHandBuiltTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, byte[] bytes) => _dir.Write(name, bytes);

    private static float[] Seq(int n, float scale = 1) => Enumerable.Range(0, n).Select(i => (i - (n / 3f)) * scale).ToArray();

    private static List<TorchTensorSpec> MixedDtypes() =>
    [
        new("a.weight", TorchStorage.F32("0", Seq(12, 0.25f)), [3, 4]),
        new("a.bias", TorchStorage.F16("1", Seq(3, 0.5f)), [3]),
        new("b.weight", TorchStorage.BF16("2", Seq(6, 2f)), [2, 3]),
        new("c.weight", TorchStorage.F64("3", Seq(8, 0.125f).Select(v => (double)v).ToArray()), [2, 2, 1, 2]),
        new("c.num_batches_tracked", TorchStorage.I64("4", 12345), []),
    ];

    [Theory]
    [InlineData("zip-stored")]
    [InlineData("zip-deflated")]
    [InlineData("legacy")]
    public void State_dict_of_every_float_dtype_and_an_integer_tensor_reads_exactly(string kind)
    {
        var specs = MixedDtypes();
        byte[] bytes = kind switch
        {
            "zip-stored" => TorchFiles.ZipStateDict(specs),
            "zip-deflated" => TorchFiles.ZipStateDict(specs, deflate: true),
            _ => TorchFiles.LegacyStateDict(specs),
        };
        string path = Write("m.pt", bytes);
        using var model = ModelOpener.Open(path);
        Assert.Equal(kind == "legacy" ? "pytorch-legacy" : "pytorch", model.FormatName);
        // Deflated entries are streamed (named entry); stored and legacy tensors are plain file ranges.
        Assert.All(model.Tensors, t => Assert.Equal(kind == "zip-deflated", t.ContainerEntry is not null));
        // Dict order, non-tensor entry ("note") skipped.
        Assert.Equal(["a.weight", "a.bias", "b.weight", "c.weight", "c.num_batches_tracked"], model.Tensors.Select(t => t.Name));
        Assert.Equal([DType.F32, DType.F16, DType.BF16, DType.F64, DType.I64], model.Tensors.Select(t => t.DType));
        Assert.Equal(Seq(12, 0.25f).Select(v => (double)v), model.ReadTensor(model.Tensors[0]));
        Assert.Equal(Seq(3, 0.5f).Select(v => (double)(Half)v), model.ReadTensor(model.Tensors[1]));
        Assert.Equal(Seq(6, 2f).Select(v => (double)BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(v) & 0xFFFF0000)), model.ReadTensor(model.Tensors[2]));
        Assert.Equal(Seq(8, 0.125f).Select(v => (double)v), model.ReadTensor(model.Tensors[3]));
        Assert.Equal([12345.0], model.ReadTensor(model.Tensors[4]));
        Assert.Equal([2L, 2, 1, 2], model.Tensors[3].Shape);
        // State-dict ids: a.weight 1, b.weight 2, c.weight 3; the int64 counter is never a layer.
        var all = LayerEnumerator.EnumerateAll(model);
        Assert.Equal([1, 2, 3], all.Select(l => l.LayerId));
        Assert.Equal(["a", "b", "c"], all.Select(l => l.Name));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Transposed_views_and_storage_offsets_are_gathered_in_row_major_order(bool deflate, bool legacy)
    {
        // One storage of 30 floats shared by three tensors: a transpose (3x4 viewed as 4x3), a slice at
        // offset 12 (contiguous 2x3), and a strided column view starting at offset 18.
        var storage = TorchStorage.F32("7", Seq(30));
        var specs = new List<TorchTensorSpec>
        {
            new("t.weight", storage, [4, 3], [1, 4], 0),
            new("s.weight", storage, [2, 3], null, 12),
            new("v.weight", storage, [3, 2], [4, 2], 18),
        };
        byte[] bytes = legacy ? TorchFiles.LegacyStateDict(specs) : TorchFiles.ZipStateDict(specs, deflate);
        using var model = ModelOpener.Open(Write("v.pt", bytes));
        var s = Seq(30);
        double[] expectedT = [.. from i in Enumerable.Range(0, 4) from j in Enumerable.Range(0, 3) select (double)s[(j * 4) + i]];
        double[] expectedS = [.. Enumerable.Range(12, 6).Select(i => (double)s[i])];
        double[] expectedV = [.. from i in Enumerable.Range(0, 3) from j in Enumerable.Range(0, 2) select (double)s[18 + (i * 4) + (j * 2)]];
        Assert.Equal(expectedT, model.ReadTensor(model.Tensors[0]));
        Assert.Equal(expectedS, model.ReadTensor(model.Tensors[1]));
        Assert.Equal(expectedV, model.ReadTensor(model.Tensors[2]));
        var buffer = new double[12];
        model.ReadTensor(model.Tensors[0], buffer);
        Assert.Equal(expectedT, buffer);
    }

    [Fact]
    public void Legacy_storage_views_parameters_and_rebuild_from_type_are_understood()
    {
        var root = TorchStorage.F32("root", Seq(30));
        var p = new PickleBuilder().Proto(2).Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark();
        // v.weight: a 3x4 tensor on legacy view 'view1' = root[6:18].
        p.Str("v.weight").Global("torch._utils", "_rebuild_tensor").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("root").Str("cpu").Int(30).Mark().Str("view1").Int(6).Int(12).Op('t').Op('t').Op('Q')
            .Int(0).Tuple(3, 4).Tuple(4, 1).Op('t').Reduce();
        // p.weight: a Parameter wrapping a 2x5 tensor at root offset 20.
        p.Str("p.weight").Global("torch._utils", "_rebuild_parameter").Mark()
            .Global("torch._utils", "_rebuild_tensor").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("root").Str("cpu").Int(30).None().Op('t').Op('Q')
            .Int(20).Tuple(2, 5).Tuple(5, 1).Op('t').Reduce()
            .True().Global("collections", "OrderedDict").EmptyTuple().Reduce().Op('t').Reduce();
        // r.weight: _rebuild_from_type_v2(_rebuild_tensor, torch.Tensor, (storage, 0, (2, 3), (3, 1)), {}).
        p.Str("r.weight").Global("torch._tensor", "_rebuild_from_type_v2").Mark()
            .Global("torch._utils", "_rebuild_tensor").Global("torch", "Tensor").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("root").Str("cpu").Int(30).None().Op('t').Op('Q')
            .Int(0).Tuple(2, 3).Tuple(3, 1).Op('t').EmptyDict().Op('t').Reduce();
        var bytes = TorchFiles.Legacy(p.Op('u').Stop().ToArray(), [root]);
        using var model = ModelOpener.Open(Write("views.th", bytes));
        var s = Seq(30);
        Assert.Equal(s[6..18].Select(v => (double)v), model.ReadTensor(model.Tensors[0]));
        Assert.Equal(s[20..30].Select(v => (double)v), model.ReadTensor(model.Tensors[1]));
        Assert.Equal(s[0..6].Select(v => (double)v), model.ReadTensor(model.Tensors[2]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Zip64_and_aligned_torch_layouts_are_read_by_range(bool zip64)
    {
        var specs = MixedDtypes();
        var entries = new List<(string, byte[])> { ("resnet/data.pkl", TorchFiles.StateDictPickle(specs)), ("resnet/byteorder", "little"u8.ToArray()) };
        entries.AddRange(specs.Select(t => ("resnet/data/" + t.Storage.Key, t.Storage.Bytes)));
        entries.Add(("resnet/version", "3\n"u8.ToArray()));
        string path = Write("z64.pt", MiniZipWriter.Write(entries, zip64));
        using var model = ModelOpener.Open(path);
        Assert.Equal("pytorch", model.FormatName);
        var raw = File.ReadAllBytes(path);
        foreach (var (t, spec) in model.Tensors.Zip(specs))
        {
            Assert.Equal(0, t.Offset % 64);
            Assert.Equal(spec.Storage.Bytes, raw.AsSpan((int)t.Offset, (int)t.ByteLength).ToArray());
        }
        Assert.Equal(Seq(12, 0.25f).Select(v => (double)v), model.ReadTensor(model.Tensors[0]));
    }

    [Fact]
    public void Contiguous_tensors_of_stored_entries_are_plain_byte_ranges_of_the_file()
    {
        var specs = MixedDtypes();
        string path = Write("r.pt", TorchFiles.ZipStateDict(specs));
        using var model = PyTorchReader.OpenZip(path);
        var raw = File.ReadAllBytes(path);
        foreach (var (t, spec) in model.Tensors.Zip(specs))
        {
            Assert.Null(t.ContainerEntry);
            Assert.Equal(spec.Storage.Bytes, raw.AsSpan((int)t.Offset, (int)t.ByteLength).ToArray());
        }
    }

    [Theory]
    [InlineData("state_dict", true)]
    [InlineData("model", true)]
    [InlineData("optimizer", false)]
    public void Checkpoints_are_unwrapped_from_state_dict_or_model(string key, bool unwrapped)
    {
        var specs = MixedDtypes();
        string path = Write("ckpt.pth", TorchFiles.ZipStateDict(specs, wrapperKey: key));
        using var model = ModelOpener.Open(path);
        // A wrapper the reference does not unwrap has no tensors at its top level.
        Assert.Equal(unwrapped ? 5 : 0, model.Tensors.Count);
    }

    [Fact]
    public void Legacy_checkpoint_with_state_dict_is_unwrapped()
    {
        using var model = ModelOpener.Open(Write("ckpt.th", TorchFiles.LegacyStateDict(MixedDtypes(), wrapperKey: "state_dict")));
        Assert.Equal(5, model.Tensors.Count);
    }

    [Fact]
    public void Module_prefix_is_stripped_only_when_every_tensor_key_carries_it()
    {
        var all = MixedDtypes().Select(t => t with { Name = "module." + t.Name }).ToList();
        string path = Write("dp.pt", TorchFiles.ZipStateDict(all));
        using (var model = ModelOpener.Open(path))
        {
            Assert.Equal(["a.weight", "a.bias", "b.weight", "c.weight", "c.num_batches_tracked"], model.Tensors.Select(t => t.Name));
        }
        using (var kept = PyTorchReader.OpenZip(path, stripDataParallelPrefix: false))
        {
            Assert.All(kept.Tensors, t => Assert.StartsWith("module.", t.Name, StringComparison.Ordinal));
        }
        var some = MixedDtypes();
        some[0] = some[0] with { Name = "module.a.weight" };
        using var mixed = ModelOpener.Open(Write("mixed.pt", TorchFiles.ZipStateDict(some)));
        Assert.Equal("module.a.weight", mixed.Tensors[0].Name);
    }

    [Fact]
    public void Sharded_directory_has_continuous_layer_ids_across_shards()
    {
        var first = new List<TorchTensorSpec> { new("l1.weight", TorchStorage.F32("0", Seq(12)), [3, 4]), new("l1.bias", TorchStorage.F32("1", Seq(3)), [3]) };
        var second = new List<TorchTensorSpec> { new("l2.weight", TorchStorage.F32("0", Seq(20)), [4, 5]), new("l3.weight", TorchStorage.F32("1", Seq(10)), [5, 2]) };
        Write("pytorch_model-00002-of-00002.bin", TorchFiles.ZipStateDict(second));
        Write("pytorch_model-00001-of-00002.bin", TorchFiles.LegacyStateDict(first));
        Write(PyTorchShardedLoader.IndexFileName, System.Text.Encoding.UTF8.GetBytes(
            "{\"metadata\":{},\"weight_map\":{\"l2.weight\":\"pytorch_model-00002-of-00002.bin\",\"l3.weight\":\"pytorch_model-00002-of-00002.bin\"," +
            "\"l1.weight\":\"pytorch_model-00001-of-00002.bin\",\"l1.bias\":\"pytorch_model-00001-of-00002.bin\"}}"));
        using var model = ModelOpener.Open(_dir.Path);
        Assert.Equal("pytorch-sharded", model.FormatName);
        Assert.Equal(["l1.weight", "l1.bias", "l2.weight", "l3.weight"], model.Tensors.Select(t => t.Name));
        var layers = LayerEnumerator.EnumerateAll(model);
        Assert.Equal([(1, "l1"), (2, "l2"), (3, "l3")], layers.Select(l => (l.LayerId, l.Name)));
        Assert.Equal(Seq(20).Select(v => (double)v), model.ReadTensor(model.Tensors[2]));
    }

    [Theory]
    [InlineData("pytorch_model.bin", false)]
    [InlineData("model.th", true)]
    public void Directory_holding_one_pytorch_file_opens_it(string name, bool legacy)
    {
        var specs = MixedDtypes();
        Write(name, legacy ? TorchFiles.LegacyStateDict(specs) : TorchFiles.ZipStateDict(specs));
        Write("config.json", "{}"u8.ToArray());
        using var model = ModelOpener.Open(_dir.Path);
        Assert.Equal(legacy ? "pytorch-legacy" : "pytorch", model.FormatName);
        Assert.Equal(5, model.Tensors.Count);
    }

    [Fact]
    public void Sharded_index_naming_a_missing_key_or_an_outside_shard_is_refused()
    {
        Write("a.bin", TorchFiles.ZipStateDict([new("x.weight", TorchStorage.F32("0", Seq(4)), [2, 2])]));
        string index = Write(PyTorchShardedLoader.IndexFileName, "{\"weight_map\":{\"y.weight\":\"a.bin\"}}"u8.ToArray());
        ModelFiles.AssertRejected(() => ModelOpener.Open(_dir.Path).Dispose(), "a.bin", "y.weight", "absent from the shard");
        File.WriteAllText(index, "{\"weight_map\":{\"x.weight\":\"../a.bin\"}}");
        ModelFiles.AssertRejected(() => ModelOpener.Open(_dir.Path).Dispose(), index, null, "outside the model directory");
    }

    [Fact]
    public void Detection_tells_legacy_pickles_pytorch_zips_and_npz_apart()
    {
        string legacy = Write("m.th", TorchFiles.LegacyStateDict(MixedDtypes()));
        string zip = Write("m.bin", TorchFiles.ZipStateDict(MixedDtypes()));
        Assert.Equal(ModelFileKind.PyTorchLegacy, ModelOpener.Detect(legacy));
        Assert.Equal(ModelFileKind.Zip, ModelOpener.Detect(zip));
        Assert.True(PyTorchReader.IsPyTorchZip(zip));
        // A pickle that is not the legacy magic (PROTO 2, then an int) is not a PyTorch file.
        string plain = Write("p.pkl", new PickleBuilder().Proto(2).Int(5).Stop().ToArray());
        Assert.Equal(ModelFileKind.Unknown, ModelOpener.Detect(plain));
        string npz = _dir.File("x.npz");
        NumpyWriter.WriteNpz(npz, [new("a", [2, 2], [1, 2, 3, 4])], compress: false);
        Assert.False(PyTorchReader.IsPyTorchZip(npz));
        using var n = ModelOpener.Open(npz);
        Assert.Equal("npz", n.FormatName);
    }

    [Fact]
    public void Hand_built_model_analyzes_like_the_same_weights_in_safetensors()
    {
        var values = ModelFiles.Values(64 * 40, 11);
        var specs = new List<TorchTensorSpec> { new("fc.weight", TorchStorage.F32("0", values), [64, 40]) };
        using var torch = ModelOpener.Open(Write("fc.pt", TorchFiles.ZipStateDict(specs)));
        string st = _dir.File("fc.safetensors");
        SafetensorsWriter.Write(st, [new("fc.weight", [64, 40], values)]);
        using var safe = ModelOpener.Open(st);
        var analyzer = new Analyzer(Spectral.ManagedSpectralBackend.Instance);
        var a = analyzer.Analyze(torch, new AnalysisOptions()).Rows.Single();
        var b = analyzer.Analyze(safe, new AnalysisOptions()).Rows.Single();
        Assert.Equal(b.Spectrum.Evals, a.Spectrum.Evals);
        Assert.Equal(b.Alpha, a.Alpha);
    }
}
