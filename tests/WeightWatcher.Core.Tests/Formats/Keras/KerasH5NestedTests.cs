using PureHDF;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Keras;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Tests.Support;
using F = WeightWatcher.Core.Tests.Formats.Keras.KerasH5Fixtures;

namespace WeightWatcher.Core.Tests.Formats.Keras;

/// <summary>A model inside a model: each inner layer takes an id in place of the container.</summary>
public sealed class KerasH5NestedTests
{
    [Fact]
    public void Keras2_nested_sequential_is_expanded_into_its_layers()
    {
        using var dir = new TempDir();
        string path = dir.File("nested.h5");
        const string config = """
            {"class_name": "Functional", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "name": "in", "config": {"name": "in"}},
              {"class_name": "Sequential", "config": {"name": "block", "layers": [
                 {"class_name": "Dense", "config": {"name": "dense_a"}},
                 {"class_name": "Embedding", "config": {"name": "emb"}}]}},
              {"class_name": "Dense", "config": {"name": "head"}}]}}
            """;
        new H5File
        {
            Attributes = new() { ["model_config"] = config, ["keras_version"] = "2.13.1" },
            ["model_weights"] = new H5Group
            {
                Attributes = new() { ["layer_names"] = new[] { "in", "block", "head" } },
                ["in"] = new H5Group { Attributes = new() { ["weight_names"] = Array.Empty<string>() } },
                ["block"] = new H5Group
                {
                    Attributes = new() { ["weight_names"] = new[] { "dense_a/kernel:0", "dense_a/bias:0", "emb/embeddings:0" } },
                    ["dense_a"] = new H5Group { ["kernel:0"] = F.Data(F.Values(1, 40 * 20), 40, 20), ["bias:0"] = F.Data(F.Values(2, 20), 20) },
                    ["emb"] = new H5Group { ["embeddings:0"] = F.Data(F.Values(3, 100 * 16), 100, 16) },
                },
                ["head"] = new H5Group
                {
                    Attributes = new() { ["weight_names"] = new[] { "head/kernel:0" } },
                    ["head"] = new H5Group { ["kernel:0"] = F.Data(F.Values(4, 16 * 12), 16, 12) },
                },
            },
        }.Write(path, F.Options);

        using var reader = KerasH5Reader.Open(path);
        var layers = reader.DeclaredLayers;
        Assert.Equal([0, 1, 2, 3], layers.Select(l => l.LayerId));
        Assert.Equal(["in", "dense_a", "emb", "head"], layers.Select(l => l.Name));
        Assert.Equal(["model_weights/in", "model_weights/block/dense_a", "model_weights/block/emb", "model_weights/head"], layers.Select(l => l.LongName));
        Assert.Equal([LayerType.Unknown, LayerType.Dense, LayerType.Embedding, LayerType.Dense], layers.Select(l => l.Type));
        Assert.Null(layers[0].Weight);
        Assert.Equal("model_weights/block/dense_a/kernel:0", layers[1].Weight!.Name);
        Assert.Equal("model_weights/block/emb/embeddings:0", layers[2].Weight!.Name);
        var emb = LayerEnumerator.Describe(layers[2]);
        Assert.Equal((LayerType.Embedding, 100, 16, 1), (emb.Type, emb.N, emb.M, emb.Rf));
    }

    [Fact]
    public void Keras3_nested_model_groups_are_expanded_in_file_order()
    {
        using var dir = new TempDir();
        string path = dir.File("nested.weights.h5");
        new H5File
        {
            ["layers"] = new H5Group
            {
                ["sequential"] = new H5Group
                {
                    ["layers"] = new H5Group
                    {
                        ["dense"] = new H5Group { ["vars"] = new H5Group { ["0"] = F.Data(F.Values(1, 40 * 20), 40, 20), ["1"] = F.Data(F.Values(2, 20), 20) } },
                        ["dense_1"] = new H5Group { ["vars"] = new H5Group { ["1"] = F.Data(F.Values(3, 12), 12), ["0"] = F.Data(F.Values(4, 20 * 12), 20, 12) } },
                    },
                    ["vars"] = new H5Group(),
                },
                ["dense"] = new H5Group { ["vars"] = new H5Group { ["0"] = F.Data(F.Values(5, 12 * 11), 12, 11) } },
            },
        }.Write(path, F.Options);

        using var reader = KerasH5Reader.Open(path);
        var layers = reader.DeclaredLayers;
        Assert.Equal([0, 1, 2], layers.Select(l => l.LayerId));
        Assert.Equal(["layers/sequential/layers/dense", "layers/sequential/layers/dense_1", "layers/dense"], layers.Select(l => l.LongName));
        // vars/0 is the kernel even when vars/1 is stored first.
        Assert.Equal("layers/sequential/layers/dense_1/vars/0", layers[1].Weight!.Name);
        Assert.All(layers, l => Assert.Equal(LayerType.Dense, l.Type));
    }

    private static void WriteThreeDense(string path) => new H5File
    {
        ["layers"] = new H5Group
        {
            ["dense"] = new H5Group { ["vars"] = new H5Group { ["0"] = F.Data(F.Values(1, 40 * 20), 40, 20) } },
            ["dense_1"] = new H5Group { ["vars"] = new H5Group { ["0"] = F.Data(F.Values(2, 20 * 16), 20, 16) } },
            ["dense_10"] = new H5Group { ["vars"] = new H5Group { ["0"] = F.Data(F.Values(3, 16 * 12), 16, 12) } },
            ["dense_2"] = new H5Group { ["vars"] = new H5Group { ["0"] = F.Data(F.Values(4, 12 * 11), 12, 11) } },
        },
    }.Write(path, F.Options);

    [Fact]
    public void Keras3_config_maps_repeated_classes_to_dense_dense_1_dense_2_in_model_order()
    {
        using var dir = new TempDir();
        string path = dir.File("m.weights.h5");
        WriteThreeDense(path);
        var layers = string.Join(",", Enumerable.Range(0, 11).Select(i => $$$"""{"class_name": "Dense", "config": {"name": "fc{{{i}}}"}}"""));
        File.WriteAllText(dir.File("config.json"), $$$"""{"class_name": "Sequential", "config": {"layers": [{{{layers}}}]}}""");

        using var reader = KerasH5Reader.Open(path);
        var declared = reader.DeclaredLayers;
        Assert.Equal(11, declared.Count);
        Assert.Equal(["fc0", "fc1", "fc2", "fc10"], declared.Where(l => l.Weight is not null).Select(l => l.Name));
        Assert.Equal("layers/dense_2/vars/0", declared[2].Weight!.Name);
        Assert.Equal("layers/dense_10/vars/0", declared[10].Weight!.Name);
    }

    [Fact]
    public void Keras3_config_json_of_another_kind_is_ignored()
    {
        using var dir = new TempDir();
        string path = dir.File("m.weights.h5");
        WriteThreeDense(path);
        File.WriteAllText(dir.File("config.json"), """{"model_type": "bert", "hidden_size": 768}""");

        using var reader = KerasH5Reader.Open(path);
        Assert.Equal(["dense", "dense_1", "dense_10", "dense_2"], reader.DeclaredLayers.Select(l => l.Name));
    }

    private static void WriteSharedGroup(string path)
    {
        var shared = new H5Group { ["vars"] = new H5Group { ["0"] = F.Data(F.Values(9, 20 * 12), 20, 12) } };
        new H5File { ["layers"] = new H5Group { ["a"] = shared, ["b"] = shared } }.Write(path, F.Options);
    }

    [Fact]
    public void A_group_linked_under_two_names_is_read_under_both()
    {
        using var dir = new TempDir();
        string path = dir.File("shared.weights.h5");
        WriteSharedGroup(path);

        using var reader = KerasH5Reader.Open(path);
        Assert.Equal(["layers/a/vars/0", "layers/b/vars/0"], reader.Tensors.Select(t => t.Name));
        Assert.Equal(reader.ReadTensor(reader.Tensors[0]), reader.ReadTensor(reader.Tensors[1]));
        Assert.Equal(["layers/a/vars/0", "layers/b/vars/0"], reader.DeclaredLayers.Select(l => l.Weight!.Name));
    }

    [Fact]
    public void A_hard_link_cycle_is_refused()
    {
        using var dir = new TempDir();
        string path = dir.File("cycle.weights.h5");
        WriteSharedGroup(path);
        ulong group, vars;
        using (var h5 = H5File.OpenRead(path))
        {
            group = Hdf5Tensors.AddressOf(h5.Group("layers/a")) ?? throw new InvalidOperationException("no address");
            vars = Hdf5Tensors.AddressOf(h5.Group("layers/a/vars")) ?? throw new InvalidOperationException("no address");
        }
        // Point the link "vars" of the shared group back at the group itself.
        var bytes = File.ReadAllBytes(path);
        int at = -1;
        for (int i = 0; i + 8 <= bytes.Length && at < 0; i++)
        {
            at = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i)) == vars ? i : -1;
        }
        Assert.True(at > 0, "link to 'vars' not found");
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), group);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<WeightWatcher.Core.Formats.ModelFormatException>(() => KerasH5Reader.Open(path));
        Assert.Equal(path, e.File);
        Assert.Contains("cycle", e.Reason);
    }
}
