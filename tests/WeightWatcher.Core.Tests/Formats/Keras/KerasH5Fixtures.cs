using PureHDF;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Formats.Keras;

/// <summary>
/// Keras-style HDF5 files written with PureHDF, laid out as Keras writes them (h5py): a small CNN
/// conv2d (3, 3, 16, 32) -> batch_normalization (32) -> flatten -> dense "classifier" (64, 32).
/// </summary>
internal static class KerasH5Fixtures
{
    public const int Kh = 3, Kw = 3, ConvIn = 16, ConvOut = 32, DenseIn = 64, DenseOut = 32;

    public static readonly float[] ConvKernel = Values(11, Kh * Kw * ConvIn * ConvOut);
    public static readonly float[] ConvBias = Values(12, ConvOut);
    public static readonly float[] Gamma = Values(13, ConvOut);
    public static readonly float[] Beta = Values(14, ConvOut);
    public static readonly float[] MovingMean = Values(15, ConvOut);
    public static readonly float[] MovingVariance = Values(16, ConvOut).Select(Math.Abs).ToArray();
    public static readonly float[] DenseKernel = Values(17, DenseIn * DenseOut);
    public static readonly float[] DenseBias = Values(18, DenseOut);

    /// <summary>The Keras 2 model config of the CNN (Sequential, with the InputLayer entry TF 2 writes).</summary>
    public const string ModelConfig = """
        {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 16], "dtype": "float32", "name": "input_1"}},
          {"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 32, "kernel_size": [3, 3]}},
          {"class_name": "BatchNormalization", "config": {"name": "batch_normalization"}},
          {"class_name": "Flatten", "config": {"name": "flatten"}},
          {"class_name": "Dense", "config": {"name": "classifier", "units": 32}}]}}
        """;

    /// <summary>The Keras 3 <c>config.json</c> of the same model, with user-chosen names.</summary>
    public const string Keras3Config = """
        {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [
          {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 16], "name": "input_layer"}},
          {"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "features"}},
          {"module": "keras.layers", "class_name": "BatchNormalization", "config": {"name": "bn"}},
          {"module": "keras.layers", "class_name": "Flatten", "config": {"name": "flat"}},
          {"module": "keras.layers", "class_name": "Dense", "config": {"name": "classifier"}}]}}
        """;

    public static float[] Values(ulong seed, int count) =>
        InMemoryModelReader.Values(seed, count).Select(v => (float)v).ToArray();

    public static H5WriteOptions Options => new(PreferCompactDatasetLayout: false);

    /// <summary>A dataset of <paramref name="data"/> (row-major) with <paramref name="dims"/>.</summary>
    public static H5Dataset Data<T>(T[] data, params ulong[] dims) => new(data, fileDims: dims);

    /// <summary>The weight groups of a Keras 2 file (the same under model_weights/ or at the root).</summary>
    public static void AddKeras2Layers(H5Group weights, bool half = false, bool dropDenseKernel = false)
    {
        object dense = half ? Data(DenseKernel.Select(v => (Half)v).ToArray(), DenseIn, DenseOut) : Data(DenseKernel, DenseIn, DenseOut);
        weights.Attributes["layer_names"] = new[] { "conv2d", "batch_normalization", "flatten", "classifier" };
        weights["conv2d"] = new H5Group
        {
            Attributes = new() { ["weight_names"] = new[] { "conv2d/kernel:0", "conv2d/bias:0" } },
            ["conv2d"] = new H5Group
            {
                ["kernel:0"] = Data(ConvKernel, Kh, Kw, ConvIn, ConvOut),
                ["bias:0"] = Data(ConvBias, ConvOut),
            },
        };
        weights["batch_normalization"] = new H5Group
        {
            Attributes = new()
            {
                ["weight_names"] = new[]
                {
                    "batch_normalization/gamma:0", "batch_normalization/beta:0",
                    "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0",
                },
            },
            ["batch_normalization"] = new H5Group
            {
                ["gamma:0"] = Data(Gamma, ConvOut),
                ["beta:0"] = Data(Beta, ConvOut),
                ["moving_mean:0"] = Data(MovingMean, ConvOut),
                ["moving_variance:0"] = Data(MovingVariance, ConvOut),
            },
        };
        weights["flatten"] = new H5Group { Attributes = new() { ["weight_names"] = Array.Empty<string>() } };
        var classifier = new H5Group { ["bias:0"] = Data(DenseBias, DenseOut) };
        if (!dropDenseKernel)
        {
            classifier["kernel:0"] = dense;
        }
        weights["classifier"] = new H5Group
        {
            Attributes = new() { ["weight_names"] = new[] { "classifier/kernel:0", "classifier/bias:0" } },
            ["classifier"] = classifier,
        };
    }

    /// <summary>Keras 2 <c>model.save("x.h5")</c>.</summary>
    public static void WriteKeras2Model(string path, bool half = false, bool dropDenseKernel = false)
    {
        var weights = new H5Group { Attributes = new() { ["backend"] = "tensorflow", ["keras_version"] = "2.13.1" } };
        AddKeras2Layers(weights, half, dropDenseKernel);
        var file = new H5File
        {
            Attributes = new()
            {
                ["backend"] = "tensorflow",
                ["keras_version"] = "2.13.1",
                ["model_config"] = ModelConfig,
            },
            ["model_weights"] = weights,
            ["optimizer_weights"] = new H5Group { ["Adam"] = new H5Group { ["iter:0"] = 7L } },
        };
        file.Write(path, Options);
    }

    /// <summary>Keras 2 <c>model.save_weights("x.h5")</c>: the layer groups at the root, no config.</summary>
    public static void WriteKeras2Weights(string path)
    {
        var file = new H5File { Attributes = new() { ["backend"] = "tensorflow", ["keras_version"] = "2.13.1" } };
        AddKeras2Layers(file);
        file.Write(path, Options);
    }

    /// <summary>
    /// Keras 3 <c>model.save_weights("x.weights.h5")</c>: groups named after the snake-cased class, in
    /// h5py's alphabetical link order; optionally the <c>config.json</c> of a <c>.keras</c> archive beside it.
    /// </summary>
    public static void WriteKeras3Weights(string path, bool configBeside)
    {
        var file = new H5File
        {
            ["layers"] = new H5Group
            {
                ["batch_normalization"] = new H5Group
                {
                    ["vars"] = new H5Group
                    {
                        ["0"] = Data(Gamma, ConvOut),
                        ["1"] = Data(Beta, ConvOut),
                        ["2"] = Data(MovingMean, ConvOut),
                        ["3"] = Data(MovingVariance, ConvOut),
                    },
                },
                ["conv2d"] = new H5Group
                {
                    ["vars"] = new H5Group { ["0"] = Data(ConvKernel, Kh, Kw, ConvIn, ConvOut), ["1"] = Data(ConvBias, ConvOut) },
                },
                ["dense"] = new H5Group
                {
                    ["vars"] = new H5Group { ["0"] = Data(DenseKernel, DenseIn, DenseOut), ["1"] = Data(DenseBias, DenseOut) },
                },
                ["flatten"] = new H5Group { ["vars"] = new H5Group() },
            },
            ["vars"] = new H5Group(),
        };
        file.Write(path, Options);
        if (configBeside)
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(path)!, "config.json"), Keras3Config);
        }
    }

    /// <summary>The same weights as a PyTorch-layout state dict: dense (out, in), conv (out, in, kh, kw).</summary>
    public static void WriteSafetensors(string path, bool halfDense = false)
    {
        var dense = halfDense ? DenseKernel.Select(v => (float)(Half)v).ToArray() : DenseKernel;
        var denseT = new float[DenseOut * DenseIn];
        for (int i = 0; i < DenseIn; i++)
        {
            for (int o = 0; o < DenseOut; o++)
            {
                denseT[o * DenseIn + i] = dense[i * DenseOut + o];
            }
        }
        var convT = new float[ConvOut * ConvIn * Kh * Kw];
        for (int y = 0; y < Kh; y++)
        {
            for (int x = 0; x < Kw; x++)
            {
                for (int i = 0; i < ConvIn; i++)
                {
                    for (int o = 0; o < ConvOut; o++)
                    {
                        convT[((o * ConvIn + i) * Kh + y) * Kw + x] = ConvKernel[((y * Kw + x) * ConvIn + i) * ConvOut + o];
                    }
                }
            }
        }
        SafetensorsWriter.Write(path,
        [
            new NamedTensor("a_conv.weight", [ConvOut, ConvIn, Kh, Kw], convT),
            new NamedTensor("b_norm.weight", [ConvOut], Gamma),
            new NamedTensor("c_classifier.weight", [DenseOut, DenseIn], denseT),
        ]);
    }
}
