using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Keras;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Tensors;
using WeightWatcher.Core.Tests.Support;
using F = WeightWatcher.Core.Tests.Formats.Keras.KerasH5Fixtures;

namespace WeightWatcher.Core.Tests.Formats.Keras;

public sealed class KerasH5ReaderTests
{
    [Fact]
    public void Keras2_full_model_declares_layers_from_0_typed_by_config_class()
    {
        using var dir = new TempDir();
        string path = dir.File("model.h5");
        F.WriteKeras2Model(path);

        Assert.Equal(ModelFileKind.Hdf5, ModelOpener.Detect(path));
        using var reader = ModelOpener.Open(path);
        var keras = Assert.IsType<KerasH5Reader>(reader);
        Assert.Equal(KerasFileLayout.Keras2Model, keras.Layout);
        var layers = reader.DeclaredLayers!;

        Assert.Equal([0, 1, 2, 3], layers.Select(l => l.LayerId));
        Assert.Equal(["conv2d", "batch_normalization", "flatten", "classifier"], layers.Select(l => l.Name));
        Assert.Equal(["model_weights/conv2d", "model_weights/batch_normalization", "model_weights/flatten", "model_weights/classifier"], layers.Select(l => l.LongName));
        // "classifier" is typed dense by its config class, not by its name.
        Assert.Equal([LayerType.Conv2D, LayerType.Norm, LayerType.Flattened, LayerType.Dense], layers.Select(l => l.Type));
        Assert.All(layers, l => Assert.Equal(ConvLayout.First, l.ExpectedLayout));
        Assert.Equal("model_weights/conv2d/conv2d/kernel:0", layers[0].Weight!.Name);
        Assert.Equal("model_weights/batch_normalization/batch_normalization/gamma:0", layers[1].Weight!.Name);
        Assert.Null(layers[2].Weight);
        Assert.Equal("model_weights/classifier/classifier/kernel:0", layers[3].Weight!.Name);
        AssertShapes(reader);
    }

    /// <summary>N, M, rf as the reference computes them for Keras (hand-computed, then via ConvDimensions).</summary>
    private static void AssertShapes(IModelReader reader)
    {
        var all = LayerEnumerator.EnumerateAll(reader);
        var conv = all[0];
        Assert.Equal(LayerType.Conv2D, conv.Type);
        Assert.Equal(ConvLayout.First, conv.Layout);
        // (3, 3, 16, 32): kernel-first, 9 slices of 16 x 32; in < out so no transpose: N = out = 32, M = in = 16.
        Assert.Equal((32, 16, 9), (conv.N, conv.M, conv.Rf));
        Assert.Equal((32, 16, 9, 16), LayerEnumerator.ConvDimensions(3, 3, 16, 32, ConvLayout.First));
        Assert.Equal((3, 3), conv.Kernel);
        Assert.Equal(LayerType.Norm, all[1].Type);
        Assert.Equal(LayerType.Flattened, all[2].Type); // no weight: keeps its type, never analyzed
        var dense = all[3];
        Assert.Equal((LayerType.Dense, 64, 32, 1), (dense.Type, dense.N, dense.M, dense.Rf));

        var supported = Analyzer.Describe(reader, new AnalysisOptions());
        Assert.Equal([0, 3], supported.Select(l => l.LayerId));
    }

    [Fact]
    public void Tensors_list_every_numeric_dataset_with_dtype_and_read_back_exactly()
    {
        using var dir = new TempDir();
        string path = dir.File("model.h5");
        F.WriteKeras2Model(path);
        using var reader = KerasH5Reader.Open(path);

        var names = reader.Tensors.Select(t => t.Name).ToList();
        Assert.Equal(9, names.Count); // 2 conv + 4 bn + 2 dense + the optimizer's iteration counter
        Assert.Contains("optimizer_weights/Adam/iter:0", names);
        var iter = reader.Tensors.Single(t => t.Name == "optimizer_weights/Adam/iter:0");
        Assert.Equal(DType.I64, iter.DType);
        Assert.Equal([7.0], reader.ReadTensor(iter));

        var kernel = reader.Tensors.Single(t => t.Name == "model_weights/conv2d/conv2d/kernel:0");
        Assert.Equal(DType.F32, kernel.DType);
        Assert.Equal([3L, 3, 16, 32], kernel.Shape);
        Assert.Equal(F.ConvKernel.Select(v => (double)v), reader.ReadTensor(kernel));
        var dense = reader.DeclaredLayers![3].Weight!;
        var buffer = new double[dense.ElementCount];
        reader.ReadTensor(dense, buffer);
        Assert.Equal(F.DenseKernel.Select(v => (double)v), buffer);
    }

    [Fact]
    public void Keras2_weights_only_file_types_by_rank()
    {
        using var dir = new TempDir();
        string path = dir.File("weights.h5");
        F.WriteKeras2Weights(path);
        using var reader = KerasH5Reader.Open(path);

        Assert.Equal(KerasFileLayout.Keras2Weights, reader.Layout);
        var layers = reader.DeclaredLayers;
        Assert.Equal(["conv2d", "batch_normalization", "flatten", "classifier"], layers.Select(l => l.Name));
        Assert.Equal(["conv2d", "batch_normalization", "flatten", "classifier"], layers.Select(l => l.LongName));
        // No config: 4-D conv2d, 2-D dense, 1-D (the bn gamma) unknown, no weight unknown.
        Assert.Equal([LayerType.Conv2D, LayerType.Unknown, LayerType.Unknown, LayerType.Dense], layers.Select(l => l.Type));
        var all = LayerEnumerator.EnumerateAll(reader);
        Assert.Equal((32, 16, 9), (all[0].N, all[0].M, all[0].Rf));
        Assert.Equal((64, 32, 1), (all[3].N, all[3].M, all[3].Rf));
    }

    [Fact]
    public void Keras3_weights_without_config_follow_group_order_and_type_by_group_name()
    {
        using var dir = new TempDir();
        string path = dir.File("model.weights.h5");
        F.WriteKeras3Weights(path, configBeside: false);
        using var reader = KerasH5Reader.Open(path);

        Assert.Equal(KerasFileLayout.Keras3Weights, reader.Layout);
        Assert.Equal("keras3-h5", reader.FormatName);
        var layers = reader.DeclaredLayers;
        Assert.Equal([0, 1, 2, 3], layers.Select(l => l.LayerId));
        Assert.Equal(["batch_normalization", "conv2d", "dense", "flatten"], layers.Select(l => l.Name));
        Assert.Equal([LayerType.Norm, LayerType.Conv2D, LayerType.Dense, LayerType.Flattened], layers.Select(l => l.Type));
        Assert.Equal("layers/conv2d/vars/0", layers[1].Weight!.Name);
        Assert.Equal("layers/dense/vars/0", layers[2].Weight!.Name);
        Assert.Null(layers[3].Weight);
        var conv = LayerEnumerator.Describe(layers[1]);
        Assert.Equal((32, 16, 9, ConvLayout.First), (conv.N, conv.M, conv.Rf, conv.Layout));
        Assert.Equal(F.ConvKernel.Select(v => (double)v), reader.ReadTensor(layers[1].Weight!));
    }

    [Fact]
    public void Keras3_weights_with_config_beside_take_order_names_and_classes_from_it()
    {
        using var dir = new TempDir();
        string path = dir.File("model.weights.h5");
        F.WriteKeras3Weights(path, configBeside: true);
        using var reader = KerasH5Reader.Open(path);

        var layers = reader.DeclaredLayers;
        Assert.Equal(["features", "bn", "flat", "classifier"], layers.Select(l => l.Name));
        Assert.Equal(["layers/conv2d", "layers/batch_normalization", "layers/flatten", "layers/dense"], layers.Select(l => l.LongName));
        Assert.Equal([LayerType.Conv2D, LayerType.Norm, LayerType.Flattened, LayerType.Dense], layers.Select(l => l.Type));
        AssertShapes(reader);
    }

    [Fact]
    public void Float16_weights_are_read_widened()
    {
        using var dir = new TempDir();
        string path = dir.File("half.h5");
        F.WriteKeras2Model(path, half: true);
        using var reader = KerasH5Reader.Open(path);

        var dense = reader.DeclaredLayers[3].Weight!;
        Assert.Equal(DType.F16, dense.DType);
        Assert.Equal(64L * 32 * 2, dense.ByteLength);
        Assert.Equal(F.DenseKernel.Select(v => (double)(Half)v), reader.ReadTensor(dense));
        Assert.Equal(LayerType.Dense, LayerEnumerator.Describe(reader.DeclaredLayers[3]).Type);
    }

    [Theory]
    [InlineData("Dense", LayerType.Dense)]
    [InlineData("EinsumDense", LayerType.Dense)]
    [InlineData("Conv1D", LayerType.Conv1D)]
    [InlineData("Conv2D", LayerType.Conv2D)]
    [InlineData("Conv2DTranspose", LayerType.Conv2D)]
    [InlineData("DepthwiseConv2D", LayerType.Conv2D)]
    [InlineData("Flatten", LayerType.Flattened)]
    [InlineData("Embedding", LayerType.Embedding)]
    [InlineData("LayerNormalization", LayerType.Norm)]
    [InlineData("BatchNormalization", LayerType.Norm)]
    [InlineData("Dropout", LayerType.Unknown)]
    public void Keras_classes_are_typed_by_the_reference_substring_rules(string className, LayerType expected)
    {
        Assert.Equal(expected, KerasConfigLayer.TypeOf(className));
    }

    [Theory]
    [InlineData("Dense", "dense")]
    [InlineData("Conv2D", "conv2d")]
    [InlineData("BatchNormalization", "batch_normalization")]
    [InlineData("LayerNormalization", "layer_normalization")]
    [InlineData("Conv2DTranspose", "conv2d_transpose")]
    [InlineData("MultiHeadAttention", "multi_head_attention")]
    public void Keras3_group_names_follow_to_snake_case(string className, string expected)
    {
        Assert.Equal(expected, KerasConfigLayer.SnakeCase(className));
    }

    [Fact]
    public void Model_config_hides_sequential_input_layer_and_keeps_nested_models()
    {
        const string json = """
            {"class_name": "Functional", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "name": "in", "config": {"name": "in"}},
              {"class_name": "Sequential", "config": {"name": "block", "layers": [
                 {"class_name": "InputLayer", "config": {"name": "block_in"}},
                 {"class_name": "Dense", "config": {"name": "d1"}}]}},
              {"class_name": "Dense", "config": {"name": "head"}}]}}
            """;
        var layers = KerasModelConfig.Parse("m.h5", json);
        Assert.Equal(["in", "block", "head"], layers.Select(l => l.Name));
        Assert.Equal(["d1"], layers[1].Layers!.Select(l => l.Name));
        Assert.Null(layers[2].Layers);
    }
}
