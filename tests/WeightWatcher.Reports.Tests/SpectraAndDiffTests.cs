using WeightWatcher.Reports.Diff;
using WeightWatcher.Reports.Esd;

namespace WeightWatcher.Reports.Tests;

/// <summary>The stored-spectra format and <c>ww diff</c>'s comparison.</summary>
public sealed class SpectraAndDiffTests
{
    [Fact]
    public void Stored_spectra_round_trip_exactly_and_refuse_truncation()
    {
        StoredSpectrum[] rows =
        [
            new(3, null, [1e-7, 0.25, Math.PI, 1e300], []),
            new(3, 2, [0.5], [0.125, 7.75]),
        ];
        var bytes = StoredSpectra.Encode(rows);
        var back = StoredSpectra.Decode(bytes);
        Assert.Equal(rows.Length, back.Count);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal((rows[i].LayerId, rows[i].SliceId), (back[i].LayerId, back[i].SliceId));
            Assert.Equal(rows[i].Evals, back[i].Evals);
            Assert.Equal(rows[i].RandomEvals, back[i].RandomEvals);
        }
        Assert.Throws<FormatException>(() => StoredSpectra.Decode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<FormatException>(() => StoredSpectra.Decode("{\"rows\":[]}"u8));
    }

    private static IReadOnlyDictionary<string, object?> Row(string model, int id, double alpha) =>
        new Dictionary<string, object?> { ["model"] = model, ["layer_id"] = id, ["name"] = $"l{id}", ["alpha"] = alpha, ["log_norm"] = alpha / 2 };

    [Fact]
    public void Diff_pairs_layers_by_model_and_id_and_names_band_changes()
    {
        var deltas = LayerDiff.Compare([Row("m", 1, 3.0), Row("m", 2, 5.5), Row("m", 3, 1.5), Row("x", 1, 4)], [Row("m", 1, 3.5), Row("m", 2, 6.5), Row("m", 3, 2.5), Row("m", 4, 4)]);
        Assert.Equal([("m", 1, "both", ""), ("m", 2, "both", "left [2,6]"), ("m", 3, "both", "entered [2,6]"), ("m", 4, "only_b", ""), ("x", 1, "only_a", "")],
            deltas.Select(d => (d.Model, d.LayerId, d.Status, d.Band)));
        Assert.Equal(0.5, (double)LayerDiff.Cell(deltas[0], "delta_alpha")!, 12);
        Assert.Equal(0.25, (double)LayerDiff.Cell(deltas[0], "delta_log_norm")!, 12);
        Assert.Null(LayerDiff.Cell(deltas[3], "delta_alpha"));
        var (csv, json) = LayerDiff.Write(deltas, withModel: true);
        var lines = System.Text.Encoding.UTF8.GetString(csv).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(",", LayerDiff.Columns(true)), lines[0]);
        Assert.Equal(6, lines.Length);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("left [2,6]", doc.RootElement[1].GetProperty("alpha_band").GetString());
    }
}
