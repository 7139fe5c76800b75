namespace WeightWatcher.Core.Formats.Keras;

/// <summary>Which Keras writer produced an HDF5 file.</summary>
public enum KerasFileLayout
{
    /// <summary>Keras 2 <c>model.save("x.h5")</c>: weights under <c>model_weights/</c>, with <c>model_config</c>.</summary>
    Keras2Model,
    /// <summary>Keras 2 <c>model.save_weights("x.h5")</c>: the same layer groups at the root.</summary>
    Keras2Weights,
    /// <summary>Keras 3 <c>.weights.h5</c>: <c>layers/&lt;layer&gt;/vars/0, 1 ...</c>.</summary>
    Keras3Weights,
}

/// <summary>A layer found in a Keras HDF5 file, in <c>model.layers</c> order.</summary>
/// <param name="Name">The layer's name (<c>layer.name</c> when known; the group name otherwise).</param>
/// <param name="LongName">The layer's path in the file (its HDF5 group, without the leading slash).</param>
/// <param name="ClassName">The Keras class name, or null when the file does not say it.</param>
/// <param name="WeightPath">The dataset of its first weight (the kernel), or null for a layer without weights.</param>
public sealed record KerasLayer(string Name, string LongName, string? ClassName, string? WeightPath);
