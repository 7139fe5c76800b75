using PureHDF;

namespace WeightWatcher.Core.Formats.Keras;

/// <summary>
/// Reads the text attributes Keras writes: h5py stores them as fixed-length byte strings (keras 2.4) or
/// variable-length strings (keras 2.13 and later); empty lists may carry any element type.
/// </summary>
internal static class Hdf5Attributes
{
    /// <summary>Largest attribute text accepted (a model config is a few MB at most).</summary>
    private const int MaxTextLength = 100_000_000;

    /// <summary>True when <paramref name="obj"/> has the attribute.</summary>
    public static bool Has(string file, string objectPath, IH5Object obj, string name) =>
        Hdf5Guard.Run(file, objectPath, $"look for attribute '{name}'", () => obj.AttributeExists(name));

    /// <summary>
    /// An attribute holding a list of strings (<c>layer_names</c>, <c>weight_names</c>); a scalar string
    /// counts as a list of one, an empty array as an empty list.
    /// </summary>
    public static string[] ReadStrings(string file, string objectPath, IH5Object obj, string name)
    {
        return Hdf5Guard.Run(file, objectPath, $"read attribute '{name}'", () =>
        {
            var attribute = obj.Attribute(name);
            // An empty list has no element type worth checking: h5py writes Keras's empty weight_names of a
            // weightless layer (InputLayer, activations, pooling) as a float64 array of shape (0,), and a
            // null dataspace holds nothing either.
            ulong[] dims = attribute.Space.Type == H5DataspaceType.Null ? [0] : attribute.Space.Dimensions;
            ulong count = dims.Aggregate(1UL, (a, b) => a * b);
            if (count == 0)
            {
                return [];
            }
            if (attribute.Type.Class is not (H5DataTypeClass.String or H5DataTypeClass.VariableLength))
            {
                throw new ModelFormatException(file, objectPath, $"attribute '{name}' is not text but {attribute.Type.Class}");
            }
            if (count > (ulong)ReaderLimits.MaxTensorCount)
            {
                throw new ModelFormatException(file, objectPath, $"attribute '{name}' claims {count} entries");
            }
            string[] values = dims.Length == 0 ? [attribute.Read<string>()] : attribute.Read<string[]>();
            return values.Select(v => (v ?? "").TrimEnd('\0')).ToArray();
        });
    }

    /// <summary>A scalar text attribute (<c>model_config</c>, <c>keras_version</c>), or null when absent.</summary>
    public static string? ReadText(string file, string objectPath, IH5Object obj, string name)
    {
        if (!Has(file, objectPath, obj, name))
        {
            return null;
        }
        var values = ReadStrings(file, objectPath, obj, name);
        string text = values.Length == 0 ? "" : values[0];
        if (text.Length > MaxTextLength)
        {
            throw new ModelFormatException(file, objectPath, $"attribute '{name}' is longer than {MaxTextLength} characters");
        }
        return text;
    }
}
