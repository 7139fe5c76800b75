using System.Globalization;

namespace WeightWatcher.Core.Tests.RealWorld;

/// <summary>
/// The one documented difference between the reference's Keras route (kernel-first tensors sliced as
/// stored, which we follow for Keras and TF.js layers models) and its state-dict route on the same kernels
/// converted to PyTorch layout (how the Keras reference CSVs were made): the reported N and M. Both are
/// computed here from the shapes with the reference's slicing rules (conv2D_Wmats); where they are the two
/// sides of a swap, our row is compared with N and M exchanged and Q inverted. Nothing is listed by hand.
/// </summary>
public static class KerasRouteDifference
{
    /// <summary>N and M of a kernel-first (kh, kw, in, out) kernel in the Keras route (expected FIRST).</summary>
    public static (int N, int M) KerasRoute(int kh, int kw, int cin, int cout)
    {
        if (kh + kw >= cin + cout)
        {
            return (cin, cout); // looks channels-last: the flip path slices W[i, j, :, :] and keeps them as stored
        }
        // W[i, j, :, :] is in x out; each slice with out < in is transposed and swaps N and M once.
        return cout < cin && (kh * kw) % 2 == 1 ? (cin, cout) : (cout, cin);
    }

    /// <summary>N and M of an (a, b, c, d) tensor in the state-dict route (expected LAST).</summary>
    public static (int N, int M) StateDictRoute(int a, int b, int c, int d)
    {
        if (a + b >= c + d)
        {
            return a < b && (c * d) % 2 == 1 ? (b, a) : (a, b);
        }
        return (a, b); // looks kernel-first: the flip path slices W[:, :, i, j] and keeps them as stored
    }

    /// <summary>
    /// Reads a <c>tensors.csv</c> (state_dict_index, name, keras_layer, keras_class, original_shape, ...,
    /// shape_passed) and returns the Keras layers whose N and M differ between the two routes.
    /// </summary>
    public static IReadOnlySet<string> SwappedLayers(string tensorsCsv, Action<string>? log = null)
    {
        var table = ReferenceCsv.Read(tensorsCsv);
        var swapped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in table.Rows)
        {
            var original = Shape(row["original_shape"]);
            var passed = Shape(row["shape_passed"]);
            if (original.Length != 4)
            {
                continue; // a Dense kernel is N = max, M = min in both routes
            }
            var keras = KerasRoute(original[0], original[1], original[2], original[3]);
            var stateDict = StateDictRoute(passed[0], passed[1], passed[2], passed[3]);
            if (keras == stateDict)
            {
                continue;
            }
            Assert.True(keras == (stateDict.M, stateDict.N), $"{row["name"]}: Keras route {keras} and state-dict route {stateDict} differ by more than a swap");
            swapped.Add(row["keras_layer"]);
            log?.Invoke($"{row["keras_layer"]} ({row["keras_class"]} {row["original_shape"]} passed as {row["shape_passed"]}): N, M = {keras} in the Keras route, {stateDict} in the reference CSV");
        }
        return swapped;
    }

    private static int[] Shape(string text) =>
        text.Trim('(', ')').Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
