using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Synthetic;
using WeightWatcher.Core.Tests.Native;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Analysis;

/// <summary>
/// Tensor buffers are pooled by capacity: a layer may be analyzed from an array longer than its tensor,
/// whose tail holds an earlier layer's elements. Nothing may read past the matrix.
/// </summary>
public sealed class PooledBufferTests
{
    [Fact]
    public void The_pool_hands_out_the_smallest_array_that_fits_and_keeps_the_largest()
    {
        var pool = new TensorBufferPool(maxArrays: 2, budgetBytes: 1L << 30);
        var big = pool.Rent(1000);
        var middle = pool.Rent(500);
        Assert.Equal(1000, big.Length);
        Assert.Equal(500, middle.Length);
        pool.Return(big);
        pool.Return(middle);
        Assert.Same(middle, pool.Rent(400)); // the smallest that fits
        Assert.Same(big, pool.Rent(400));
        var fresh = pool.Rent(400);
        Assert.Equal(400, fresh.Length); // none left: a new exact one
        pool.Return(fresh);
        pool.Return(middle);
        pool.Return(big); // three returned, two kept: the largest two
        Assert.Same(middle, pool.Rent(1));
        Assert.Same(big, pool.Rent(1));
        Assert.NotSame(fresh, pool.Rent(1));

        var tight = new TensorBufferPool(maxArrays: 4, budgetBytes: 8 * 1500);
        tight.Return(new double[1000]);
        tight.Return(new double[1000]); // over the byte budget: not kept
        tight.Rent(1000);
        Assert.Equal(1000, tight.Rent(1000).Length);
    }

    [Fact]
    public void A_matrix_is_its_first_rows_times_cols_elements_whatever_follows()
    {
        var exact = NativeTestData.Random(40, 25, 11);
        var longer = new double[exact.Values.Length + 300];
        exact.Values.CopyTo(longer, 0);
        Array.Fill(longer, double.NaN, exact.Values.Length, 300);
        var padded = new WeightMatrix(40, 25, longer);
        Assert.Equal(1000, padded.Count);
        Assert.True(padded.IsFinite());
        Assert.Equal(exact.Values, padded.Elements.ToArray());
        Assert.Equal(ManagedSpectralBackend.Instance.SingularValues(exact), ManagedSpectralBackend.Instance.SingularValues(padded));
        Assert.Throws<ArgumentException>(() => new WeightMatrix(40, 26, exact.Values));

        // The random ESD shuffles the matrix's elements only.
        var esd = new EsdCalculator(ManagedSpectralBackend.Instance);
        Assert.Equal(esd.ShuffledEvals([exact], 2, new Random(5)), esd.ShuffledEvals([padded], 2, new Random(5)));
    }

    [Fact]
    public void The_native_backends_read_only_the_first_rows_times_cols_elements()
    {
        Backends.RequireNative();
        var exact = NativeTestData.Random(40, 25, 11);
        var longer = new double[exact.Values.Length + 300];
        exact.Values.CopyTo(longer, 0);
        Array.Fill(longer, double.NaN, exact.Values.Length, 300);
        var padded = new WeightMatrix(40, 25, longer);
        foreach (var backend in new[] { new OpenBlasSpectralBackend(), new OpenBlasSpectralBackend(useGramRoute: false), new OpenBlasSpectralBackend(SpectralPrecision.Single) })
        {
            Assert.Equal(backend.SingularValues(exact), backend.SingularValues(padded));
        }
    }

    [Fact]
    public void Analyzing_from_reused_longer_buffers_gives_the_same_rows_as_fresh_exact_ones()
    {
        // One layer at a time, largest first: every later layer reuses a longer array that still holds
        // the previous layer's elements. Randomize exercises the shuffled ESD on those arrays too.
        using var dir = new TempDir();
        string path = dir.File("reference.npz");
        ReferenceModel.WriteNpz(path);
        var options = new AnalysisOptions { Randomize = true, MpFit = true };
        using var model = ModelOpener.Open(path);
        var pooled = new Analyzer(ManagedSpectralBackend.Instance, parallelism: 1).Analyze(model, options);
        Assert.Empty(pooled.Failures);
        Assert.Equal(5, pooled.Rows.Count);
        var columns = LayerTable.AnalyzeColumns(options);
        foreach (var row in pooled.Rows)
        {
            // A new analyzer per layer: its pool is empty, so the layer is read into an exact new array.
            var alone = new Analyzer(ManagedSpectralBackend.Instance, parallelism: 1).AnalyzeLayer(model, row.Layer.LayerId, options).Single();
            foreach (var column in columns)
            {
                Assert.Equal(LayerTable.Value(alone, column), LayerTable.Value(row, column));
            }
        }
    }
}
