using System.Globalization;
using WeightWatcher.Core.Layers;

namespace WeightWatcher.Core.Tests.RealWorld;

/// <summary>One layer as the framework's own tools describe it (a row of Expected/&lt;file&gt;.layers.csv).</summary>
public sealed record DescribedLayer(int LayerId, string Name, string FrameworkClass, long[]? Shape, string Type, int? N, int? M, int? Rf, bool Analyzed, string Reason)
{
    /// <summary>Reads the file written by Drivers/describe_frameworks.py.</summary>
    public static IReadOnlyList<DescribedLayer> Read(string path) =>
        ReferenceCsv.Read(path).Rows.Select(r => new DescribedLayer(
            int.Parse(r["layer_id"], CultureInfo.InvariantCulture),
            r["name"],
            r["framework_class"],
            r["shape"].Length == 0 ? null : r["shape"].Trim('(', ')').Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
            r["type"],
            Int(r["N"]),
            Int(r["M"]),
            Int(r["rf"]),
            r["expected"] switch
            {
                "analyzed" => true,
                "skipped" => false,
                var other => throw new FormatException($"{path}: expected '{other}'"),
            },
            r["reason"])).ToList();

    private static int? Int(string s) => s.Length == 0 ? null : int.Parse(s, CultureInfo.InvariantCulture);

    /// <summary>
    /// Every difference between our layer list (all layers, and those that pass the default filters) and the
    /// framework's description: ids, names, weight shapes, types, N, M, rf, and which layers are analyzed.
    /// </summary>
    public static List<string> Differences(IReadOnlyList<DescribedLayer> expected, IReadOnlyList<LayerInfo> all, IReadOnlyList<LayerInfo> supported)
    {
        var problems = new List<string>();
        if (expected.Count != all.Count)
        {
            problems.Add($"{all.Count} layers listed, the framework describes {expected.Count}");
        }
        var ours = all.GroupBy(l => l.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var e in expected)
        {
            if (!ours.TryGetValue(e.Name, out var l))
            {
                problems.Add($"{e.Name} ({e.FrameworkClass}): missing from our layers");
                continue;
            }
            string where = $"{e.Name} ({e.FrameworkClass})";
            if (l.LayerId != e.LayerId)
            {
                problems.Add($"{where}: layer_id {l.LayerId}, expected {e.LayerId}");
            }
            long[] shape = l.Tensor.Shape.ToArray();
            if (e.Shape is not null ? !shape.SequenceEqual(e.Shape) : shape.Length != 0)
            {
                problems.Add($"{where}: weight shape ({string.Join(",", shape)}), expected ({string.Join(",", e.Shape ?? [])})");
            }
            var type = TypeName(l.Type);
            if (e.Type is "dense" or "conv2d" ? type != e.Type : type is "dense" or "conv2d")
            {
                problems.Add($"{where}: typed {type}, expected {e.Type}");
            }
            if (e.N is not null && (l.N, l.M, l.Rf) != (e.N, e.M, e.Rf))
            {
                problems.Add($"{where} {ShapeText(e.Shape)}: N, M, rf = {l.N}, {l.M}, {l.Rf}; expected {e.N}, {e.M}, {e.Rf}");
            }
        }
        var analyzed = supported.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var e in expected.Where(e => e.Analyzed && !analyzed.Contains(e.Name)))
        {
            problems.Add($"{e.Name} ({e.FrameworkClass} {ShapeText(e.Shape)}): not analyzed, but the reference analyzes it");
        }
        foreach (var e in expected.Where(e => !e.Analyzed && analyzed.Contains(e.Name)))
        {
            problems.Add($"{e.Name} ({e.FrameworkClass} {ShapeText(e.Shape)}): analyzed, but skipped by the reference: {e.Reason}");
        }
        return problems;
    }

    private static string ShapeText(long[]? shape) => shape is null ? "no weights" : $"({string.Join(",", shape)})";

    private static string TypeName(LayerType type) => type switch
    {
        LayerType.Dense => "dense",
        LayerType.Conv2D => "conv2d",
        _ => type.ToString().ToLowerInvariant(),
    };
}
