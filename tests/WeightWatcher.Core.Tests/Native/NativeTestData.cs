using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Core.Tests.Native;

/// <summary>Seeded test matrices (column-major) and straightforward reference computations for the native tests.</summary>
internal static class NativeTestData
{
    /// <summary><paramref name="count"/> standard normal values from a fixed seed (Box-Muller).</summary>
    public static double[] Gaussian(int seed, int count)
    {
        var random = new Random(seed);
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            values[i] = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        }
        return values;
    }

    /// <summary>A rows x cols Gaussian matrix.</summary>
    public static WeightMatrix Random(int rows, int cols, int seed) => new(rows, cols, Gaussian(seed, rows * cols));

    /// <summary>A rows x cols matrix of rank <paramref name="rank"/>: the product of two Gaussian factors.</summary>
    public static WeightMatrix RankDeficient(int rows, int cols, int rank, int seed)
    {
        var left = Gaussian(seed, rows * rank);
        var right = Gaussian(seed + 1, rank * cols);
        var product = Multiply(false, false, rows, cols, rank, left, right);
        return new WeightMatrix(rows, cols, product);
    }

    /// <summary>op(x) op(y) by the triple loop, column-major; op(x) is m x k and op(y) is k x n.</summary>
    public static double[] Multiply(bool transX, bool transY, int m, int n, int k, double[] x, double[] y)
    {
        var c = new double[m * n];
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < m; i++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double xv = transX ? x[p + (i * k)] : x[i + (p * m)];
                    double yv = transY ? y[j + (p * n)] : y[p + (j * k)];
                    sum += xv * yv;
                }
                c[i + (j * m)] = sum;
            }
        }
        return c;
    }

    /// <summary>U diag(s) V^T for a full SVD (U m x m, V^T n x n), column-major.</summary>
    public static double[] Reconstruct(int m, int n, double[] s, double[] u, double[] vt)
    {
        var a = new double[m * n];
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < m; i++)
            {
                double sum = 0;
                for (int p = 0; p < s.Length; p++)
                {
                    sum += u[i + (p * m)] * s[p] * vt[p + (j * n)];
                }
                a[i + (j * m)] = sum;
            }
        }
        return a;
    }

    /// <summary>max |Q^T Q - I| for a square n x n column-major matrix.</summary>
    public static double OrthogonalityError(int n, double[] q)
    {
        double worst = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double dot = 0;
                for (int p = 0; p < n; p++)
                {
                    dot += q[p + (i * n)] * q[p + (j * n)];
                }
                worst = Math.Max(worst, Math.Abs(dot - (i == j ? 1.0 : 0.0)));
            }
        }
        return worst;
    }

    /// <summary>max |a - b| / max |b| (the norm-wise relative difference).</summary>
    public static double NormwiseDifference(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Assert.Equal(b.Count, a.Count);
        double scale = b.Max(Math.Abs);
        double worst = 0;
        for (int i = 0; i < a.Count; i++)
        {
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        }
        return scale == 0 ? worst : worst / scale;
    }

    /// <summary>|a - b| / |b| elementwise (absolute where b is 0).</summary>
    public static double[] RelativeDifferences(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Assert.Equal(b.Count, a.Count);
        var d = new double[a.Count];
        for (int i = 0; i < a.Count; i++)
        {
            double diff = Math.Abs(a[i] - b[i]);
            d[i] = b[i] == 0 ? diff : diff / Math.Abs(b[i]);
        }
        return d;
    }

    /// <summary>A sorted descending copy (backends may return singular values in any order).</summary>
    public static double[] Descending(IEnumerable<double> values) => values.OrderByDescending(v => v).ToArray();

    public static float[] ToSingle(double[] v) => v.Select(x => (float)x).ToArray();

    public static double[] ToDouble(float[] v) => v.Select(x => (double)x).ToArray();

    /// <summary>Singular values from the managed provider (the reference), descending.</summary>
    public static double[] ManagedValues(WeightMatrix m) => Descending(ManagedSpectralBackend.Instance.SingularValues(m));

    /// <summary>Asserts <paramref name="values"/> are non-negative and sorted in the given order.</summary>
    public static void AssertSorted(IReadOnlyList<double> values, bool descending, string what)
    {
        for (int i = 1; i < values.Count; i++)
        {
            bool ok = descending ? values[i] <= values[i - 1] : values[i] >= values[i - 1];
            Assert.True(ok, $"{what}: not {(descending ? "descending" : "ascending")} at {i}: {values[i - 1]:R}, {values[i]:R}");
        }
    }

    /// <summary>A short shape label for messages.</summary>
    public static string Shape(WeightMatrix m) => $"{m.Rows}x{m.Cols}";
}

/// <summary>Tests that change process-wide native state (the provider MathNet uses, OpenBLAS's thread count) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeGlobalStateCollection
{
    public const string Name = "Native global state";
}
