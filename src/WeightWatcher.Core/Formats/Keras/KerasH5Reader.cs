using PureHDF;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.Keras;

/// <summary>
/// Reads a Keras model stored in HDF5: a Keras 2 <c>.h5</c> saved with <c>model.save</c> or
/// <c>save_weights</c>, or a Keras 3 <c>.weights.h5</c> (see <see cref="KerasLayerScanner"/> for how each
/// layout is read). <see cref="Tensors"/> lists every numeric dataset (name = its HDF5 path);
/// <see cref="DeclaredLayers"/> lists the layers as the reference enumerates a Keras model: ids from 0 in
/// <c>model.layers</c> order, the layer name, typing by Keras class (by group name for Keras 3 files without
/// a config; by rank when nothing names the class), the first weight (the kernel) as the weight, and the
/// kernel-first Conv2D layout (kh, kw, in, out). The longname is the layer's HDF5 group path (the reference
/// leaves it empty, quirk Q18, fixed here). Data are read through PureHDF one dataset at a time; calls
/// into PureHDF are serialised, since the analyzer reads layers in parallel.
/// </summary>
public sealed class KerasH5Reader : IModelReader
{
    private readonly Lock _sync = new();
    private readonly IDisposable _h5;
    private readonly Hdf5Tensors _data;
    private readonly Action? _onDispose;

    private KerasH5Reader(string path, IDisposable h5, Hdf5Tensors data, KerasFileLayout layout, IReadOnlyList<LayerCandidate> layers, Action? onDispose)
    {
        _onDispose = onDispose;
        ModelPath = path;
        _h5 = h5;
        _data = data;
        Layout = layout;
        DeclaredLayers = layers;
    }

    /// <inheritdoc />
    public string ModelPath { get; }

    /// <inheritdoc />
    public string FormatName => _onDispose is not null ? "keras3-archive" : Layout == KerasFileLayout.Keras3Weights ? "keras3-h5" : "keras-h5";

    /// <summary>Which Keras writer produced the file.</summary>
    public KerasFileLayout Layout { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Tensors => _data.Tensors;

    /// <inheritdoc />
    public IReadOnlyList<LayerCandidate> DeclaredLayers { get; }

    /// <summary>Opens a Keras HDF5 file.</summary>
    /// <exception cref="ModelFormatException">The file is not HDF5, not a Keras layout, or inconsistent.</exception>
    public static KerasH5Reader Open(string file) => Open(file, null, null, null);

    /// <summary>
    /// Opens <paramref name="file"/> with a model config given by the caller (a <c>.keras</c> archive's),
    /// reporting errors against <paramref name="displayPath"/>; <paramref name="onDispose"/> runs after the
    /// file is closed (to delete a temporary copy).
    /// </summary>
    internal static KerasH5Reader Open(string file, string? config, string? displayPath, Action? onDispose)
    {
        try
        {
            Hdf5Guard.CheckSignature(file);
            // PureHDF allocates whatever a length field claims before it finds the file too short: the
            // metadata it will parse is checked first, with reads that allocate nothing of that size.
            Hdf5Guard.Run(file, null, "check the HDF5 metadata", () =>
            {
                Hdf5Preflight.Check(file);
                return true;
            });
            var h5 = Hdf5Guard.Run(file, null, "open as HDF5", () => H5File.OpenRead(file));
            try
            {
                var data = Hdf5Tensors.Scan(file, h5);
                var (layout, layers) = KerasLayerScanner.Scan(file, h5, data, config);
                var candidates = new List<LayerCandidate>(layers.Count);
                for (int id = 0; id < layers.Count; id++)
                {
                    candidates.Add(ToCandidate(id, layers[id], data));
                }
                return new KerasH5Reader(displayPath ?? file, h5, data, layout, candidates, onDispose);
            }
            catch
            {
                h5.Dispose();
                throw;
            }
        }
        catch (ModelFormatException e) when (displayPath is not null)
        {
            onDispose?.Invoke();
            throw new ModelFormatException(displayPath, e.Tensor, $"{KerasArchive.WeightsEntry}: {e.Reason}", e);
        }
    }

    /// <summary>
    /// A layer's reference type: from its Keras class when known (substring rules), else from the rank of
    /// its kernel: 2-D dense, 4-D conv2d (kernel-first), anything else (3-D Conv1D kernels included) unknown.
    /// </summary>
    private static LayerCandidate ToCandidate(int id, KerasLayer layer, Hdf5Tensors data)
    {
        TensorInfo? weight = layer.WeightPath is null ? null : data.Find(layer.WeightPath);
        LayerType type = layer.ClassName is { } cls
            ? KerasConfigLayer.TypeOf(cls)
            : weight?.Rank switch
            {
                2 => LayerType.Dense,
                4 => LayerType.Conv2D,
                _ => LayerType.Unknown,
            };
        return new LayerCandidate(id, layer.Name, layer.LongName, type, weight, ConvLayout.First, layer.ClassName);
    }

    /// <inheritdoc />
    public void ReadTensor(TensorInfo tensor, Span<double> destination)
    {
        try
        {
            lock (_sync)
            {
                _data.Read(tensor, destination);
            }
        }
        catch (ModelFormatException e) when (_onDispose is not null)
        {
            // Read from the temporary copy of an archive's entry: name the archive.
            throw new ModelFormatException(ModelPath, e.Tensor, $"{KerasArchive.WeightsEntry}: {e.Reason}", e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _h5.Dispose();
        _onDispose?.Invoke();
    }
}
