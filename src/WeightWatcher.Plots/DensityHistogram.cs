namespace WeightWatcher.Plots;

/// <summary>Density histograms as numpy's <c>histogram(density=True)</c> computes them (count / (n · bin width)).</summary>
internal static class DensityHistogram
{
    /// <summary><paramref name="bins"/> equal bins over [min, max] of <paramref name="values"/>.</summary>
    public static (double[] Edges, double[] Density) Linear(IReadOnlyList<double> values, int bins)
    {
        if (values.Count == 0)
        {
            return ([0, 1], [0]);
        }
        double min = values.Min(), max = values.Max();
        if (max <= min)
        {
            (min, max) = (min - 0.5, max + 0.5);
        }
        var edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++)
        {
            edges[i] = min + ((max - min) * i / bins);
        }
        return (edges, Density(values, edges));
    }

    /// <summary>Bins spaced evenly in log10 between the positive min and max (the reference's <c>plot_loghist</c>).</summary>
    public static (double[] Edges, double[] Density) Logarithmic(IReadOnlyList<double> values, int bins)
    {
        var positive = values.Where(v => v > 0).ToList();
        if (positive.Count == 0)
        {
            return ([1, 10], [0]);
        }
        double lo = Math.Log10(positive.Min()), hi = Math.Log10(positive.Max());
        if (hi <= lo)
        {
            (lo, hi) = (lo - 0.5, hi + 0.5);
        }
        var edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++)
        {
            edges[i] = Math.Pow(10, lo + ((hi - lo) * i / bins));
        }
        return (edges, Density(positive, edges));
    }

    /// <summary>Density over given ascending edges; the last bin is closed, as numpy's.</summary>
    public static double[] Density(IReadOnlyList<double> values, double[] edges)
    {
        int bins = edges.Length - 1;
        var counts = new double[bins];
        int total = 0;
        foreach (var v in values)
        {
            if (v < edges[0] || v > edges[^1] || double.IsNaN(v))
            {
                continue;
            }
            int i = Array.BinarySearch(edges, v);
            i = i >= 0 ? Math.Min(i, bins - 1) : ~i - 1;
            counts[Math.Clamp(i, 0, bins - 1)]++;
            total++;
        }
        for (int i = 0; i < bins; i++)
        {
            counts[i] = total == 0 ? 0 : counts[i] / (total * (edges[i + 1] - edges[i]));
        }
        return counts;
    }
}
