using System.Globalization;

namespace WeightWatcher.Core.Layers;

/// <summary>
/// The reference's <c>layers=</c> filter. Elements are type names, integer ids or layer names; the
/// three categories are applied in the order types, ids, names, and each later category overwrites
/// the keep/skip decision of the earlier one (they are not ANDed).
/// </summary>
public sealed class LayerSelection
{
    private readonly HashSet<LayerType> _types = [];
    private readonly List<int> _ids = [];
    private readonly List<string> _names = [];

    /// <summary>Builds the filter from its textual elements.</summary>
    public LayerSelection(IEnumerable<string> elements)
    {
        foreach (var e in elements)
        {
            if (LayerTypes.TryParse(e) is { } t)
            {
                _types.Add(t);
            }
            else if (int.TryParse(e, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int id))
            {
                _ids.Add(id);
            }
            else
            {
                _names.Add(e);
            }
        }
        bool anyNeg = _names.Any(n => n.StartsWith('-'));
        bool allNeg = _names.All(n => n.StartsWith('-'));
        NameFilterIgnored = _names.Count > 0 && anyNeg && !allNeg;
    }

    /// <summary>True when names mix included and excluded ('-') entries: the reference then logs an error and applies no name filter.</summary>
    public bool NameFilterIgnored { get; }

    /// <summary>True when the layer is filtered out.</summary>
    public bool IsFilteredOut(int layerId, string name, LayerType type)
    {
        bool filtered = false;
        if (_types.Count > 0)
        {
            filtered = !_types.Contains(type);
        }
        if (_ids.Count > 0)
        {
            filtered = _ids.All(i => i >= 0) ? !_ids.Contains(layerId) : _ids.Contains(-layerId);
        }
        if (_names.Count > 0 && !NameFilterIgnored)
        {
            filtered = _names.All(n => n.StartsWith('-')) ? _names.Contains("-" + name) : !_names.Contains(name);
        }
        return filtered;
    }
}
