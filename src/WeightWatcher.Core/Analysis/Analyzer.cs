using WeightWatcher.Core.Fitting;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Metrics;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Core.Analysis;

/// <summary>
/// Analyzes models as the reference's <c>analyze()</c>, <c>describe()</c> and <c>get_ESD()</c> do.
/// Layers run concurrently; each one reads only its own tensor, so memory stays near the largest layers
/// in flight rather than the model. A bad layer becomes a <see cref="LayerFailure"/>; the others go on.
/// </summary>
public sealed class Analyzer
{
    private readonly EsdCalculator _esd;
    private readonly int _parallelism;
    private readonly TensorBufferPool _buffers;

    /// <summary>
    /// Creates an analyzer over <paramref name="backend"/>, running up to <paramref name="parallelism"/> layers
    /// at once within <paramref name="memory"/> (default: <see cref="MemoryBudget.DefaultBytes"/>).
    /// </summary>
    public Analyzer(ISpectralBackend backend, int parallelism = 0, MemoryBudget? memory = null)
    {
        Backend = backend;
        _esd = new EsdCalculator(backend);
        _parallelism = parallelism > 0 ? parallelism : Environment.ProcessorCount;
        Memory = memory ?? new MemoryBudget(Math.Max(MemoryBudget.DefaultBytes(), 1L << 28));
        // Arrays kept for reuse are memory the leases do not see: a quarter of the budget at most.
        _buffers = new TensorBufferPool(maxArrays: _parallelism, budgetBytes: Math.Min(1L << 30, Memory.Bytes / 4));
    }

    /// <summary>The bytes the layers in flight may hold together.</summary>
    public MemoryBudget Memory { get; }

    /// <summary>The spectral backend in use.</summary>
    public ISpectralBackend Backend { get; }

    /// <summary>The layers that <see cref="Analyze"/> would analyze, without any SVD.</summary>
    public static IReadOnlyList<LayerInfo> Describe(IModelReader model, AnalysisOptions options)
    {
        ThrowIfInvalid(options);
        return LayerEnumerator.EnumerateSupported(model, options);
    }

    /// <summary>Analyzes every supported layer of <paramref name="model"/>.</summary>
    public AnalysisResult Analyze(IModelReader model, AnalysisOptions options, IProgress<AnalysisProgress>? progress = null, CancellationToken cancellation = default)
    {
        ThrowIfInvalid(options);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var clock = new StageClock();
        var rows = LayerEnumerator.EnumerateSupported(model, options);
        // One work item per tensor: with pool=false all slices of a conv share one read.
        var units = rows.GroupBy(r => r.LayerId).Select(g => g.ToList()).ToList();
        var results = new List<LayerResult>[units.Count];
        var failures = new LayerFailure?[units.Count];
        int done = 0;
        // Largest layers first, one at a time per thread: the cores finish together instead of one core
        // finishing a big layer alone at the end. Results keep their id order through the unit index.
        var largestFirst = Enumerable.Range(0, units.Count).OrderByDescending(u => EstimatedCost(units[u])).ToList();
        var partitioner = System.Collections.Concurrent.Partitioner.Create(largestFirst, System.Collections.Concurrent.EnumerablePartitionerOptions.NoBuffering);
        Parallel.ForEach(partitioner, new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellation }, u =>
        {
            var unit = units[u];
            try
            {
                results[u] = AnalyzeTensor(model, unit, options, clock);
            }
            catch (Exception e) when (e is ModelFormatException or LayerAnalysisException)
            {
                failures[u] = new LayerFailure(unit[0], e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever goes wrong inside one layer (a LAPACK error, memory, a bug) fails that layer only.
                var t = unit[0].Tensor;
                failures[u] = new LayerFailure(unit[0], $"{t.SourceFile}: tensor '{t.Name}': analysis failed: {e.GetType().Name}: {e.Message}");
            }
            progress?.Report(new AnalysisProgress(Interlocked.Increment(ref done), units.Count, unit[0].Name));
        });
        var analyzed = results.Where(r => r is not null).SelectMany(r => r).ToList();
        return new AnalysisResult(model.ModelPath, options, analyzed, failures.OfType<LayerFailure>().ToList(), ModelSummary.From(analyzed), clock.ToTimings(wall.Elapsed))
        {
            Skipped = LayerEnumerator.EnumerateSkipped(model, options),
        };
    }

    /// <summary>
    /// Analyzes the one layer <paramref name="layerId"/> of <paramref name="model"/> (all its rows: one
    /// pooled row, or one per slice with <c>pool=false</c>), as <see cref="Analyze"/> would. This is the
    /// unit of work a cluster worker runs; a layer that <see cref="Describe"/> would not list is refused.
    /// </summary>
    /// <exception cref="ModelFormatException">No such analyzable layer, or its bytes cannot be read.</exception>
    /// <exception cref="LayerAnalysisException">The weights cannot be analyzed (NaN or infinite values).</exception>
    public IReadOnlyList<LayerResult> AnalyzeLayer(IModelReader model, int layerId, AnalysisOptions options)
    {
        ThrowIfInvalid(options);
        var rows = LayerEnumerator.EnumerateSupported(model, options).Where(r => r.LayerId == layerId).ToList();
        if (rows.Count == 0)
        {
            throw new ModelFormatException(model.ModelPath, null, $"layer {layerId} is not an analyzable layer under these options");
        }
        return AnalyzeTensor(model, rows, options, new StageClock());
    }

    /// <summary>Relative cost of a unit: its matrices' (larger dimension x smaller dimension squared).</summary>
    private static double EstimatedCost(List<LayerInfo> unit) =>
        unit.Sum(l => (double)Math.Max(l.N, l.M) * l.M * l.M * (l.SliceId is null ? l.Rf : 1));

    /// <summary>
    /// One layer's ESD (pooled) and its fit. <paramref name="layer"/> is an id or a name; any
    /// analyzable layer qualifies, whatever the eigenvalue-count filters say. Unlike the reference's
    /// <c>get_ESD</c> (which ignores <c>conv2d_norm</c>, quirk Q14), the eigenvalues are those that
    /// <see cref="Analyze"/> fits, so the two always agree. The MP fit and the randomized ESD are computed
    /// only when <paramref name="options"/> ask for them (for the figures' overlays).
    /// </summary>
    public EsdResult GetEsd(IModelReader model, string layer, AnalysisOptions options)
    {
        var all = LayerEnumerator.EnumerateAll(model);
        var match = all.FirstOrDefault(l => l.Name == layer)
            ?? (int.TryParse(layer, out int id) ? all.FirstOrDefault(l => l.LayerId == id) : null)
            ?? throw new ModelFormatException(model.ModelPath, layer, "no such layer (give a layer id or name; see `ww describe`)");
        if (match.Type is LayerType.Unknown or LayerType.Norm or LayerType.Flattened)
        {
            string why = match.Skip is { } skip ? $"{Shape(match)}: {skip.Detail}" : Shape(match);
            throw new ModelFormatException(model.ModelPath, match.Tensor.Name, $"layer '{match.Name}' is not analyzable ({why})");
        }
        var pooled = match with { SliceId = null };
        var row = AnalyzeTensor(model, [pooled], options with { DetX = false }, new StageClock())[0];
        return new EsdResult(match, row.Spectrum.Evals, row.Tail) { Row = row };
    }

    private List<LayerResult> AnalyzeTensor(IModelReader model, List<LayerInfo> rows, AnalysisOptions options, StageClock clock)
    {
        var tensor = rows[0].Tensor;
        long start = StageClock.Now;
        long count = tensor.ElementCount;
        if (count < 0 || count > Formats.ReaderLimits.MaxTensorElements)
        {
            throw new ModelFormatException(tensor.SourceFile, tensor.Name, $"shape {tensor.ShapeText} is too large to analyze");
        }
        long smaller = rows.Min(r => (long)Math.Min(r.N, r.M));
        MemoryBudget.Lease lease;
        try
        {
            lease = Memory.Acquire(MemoryBudget.Estimate(count, smaller));
        }
        catch (InsufficientMemoryException e)
        {
            throw new LayerAnalysisException($"{tensor.SourceFile}: tensor '{tensor.Name}': shape {tensor.ShapeText} {e.Message}; layer skipped");
        }
        using var held = lease;
        // A pooled array may be longer than the tensor: only its first `count` elements are the tensor.
        var data = _buffers.Rent((int)count);
        try
        {
            model.ReadTensor(tensor, data.AsSpan(0, (int)count));
            clock.AddRead(start);
            for (long i = 0; i < count; i++)
            {
                if (!double.IsFinite(data[i]))
                {
                    throw new LayerAnalysisException($"{tensor.SourceFile}: tensor '{tensor.Name}': weights contain {(double.IsNaN(data[i]) ? "NaN" : "infinite")} values (first at flat index {i}); layer skipped");
                }
            }
            return rows.Select(r => AnalyzeRow(r, data, options, clock)).ToList();
        }
        finally
        {
            // Nothing analyzed keeps a reference to the tensor's elements (results hold only eigenvalues).
            _buffers.Return(data);
        }
    }

    private LayerResult AnalyzeRow(LayerInfo layer, double[] data, AnalysisOptions options, StageClock clock)
    {
        long start = StageClock.Now;
        var matrices = MatrixExtractor.Extract(layer, data, options.Conv2dNorm);
        clock.AddMatrices(start);
        start = StageClock.Now;
        var spectrum = _esd.Compute(matrices, layer.N);
        clock.AddSpectra(start);
        var evals = spectrum.Evals;
        start = StageClock.Now;
        var tail = TailFitter.Fit(evals, options);
        clock.AddFit(start);
        start = StageClock.Now;
        var norms = NormMetrics.Compute(evals, layer.N, options.Tolerance);
        var mp = options.MpFit ? MarchenkoPasturFit.Fit(evals, layer.Q, layer.M) : null;
        var random = options.Randomize ? Randomize(layer, matrices, evals, options.Seed) : null;
        var detX = options.DetX ? DetX.Compute(evals) : null;
        clock.AddMetrics(start);
        return new LayerResult(layer, spectrum, tail, norms, mp, random, detX);
    }

    private RandomizationMetrics Randomize(LayerInfo layer, IReadOnlyList<WeightMatrix> matrices, double[] evals, int seed)
    {
        // A per-row generator keeps results independent of thread scheduling.
        var rng = new Random(unchecked((seed * 1_000_003) + (layer.LayerId * 7_919) + (layer.SliceId ?? -1)));
        int replicas = layer.NumComponents < 100 ? 5 : 1; // the reference tests its num_components, M·rf, even for a slice
        var randomEsd = _esd.ShuffledEvals(matrices, replicas, rng);
        var single = _esd.ShuffledEvals(matrices, 1, rng);
        double maxActual = evals[^1];
        double maxSingle = single[^1];
        return new RandomizationMetrics(
            randomEsd[^1],
            RandomizationMetrics.JensenShannonDistance(evals, single),
            maxSingle / maxActual,
            maxActual - maxSingle,
            MarchenkoPasturFit.Fit(randomEsd, layer.Q, layer.M))
        {
            Evals = randomEsd,
        };
    }

    private static string Shape(LayerInfo l) => $"{Tensors.DTypes.DisplayName(l.Tensor.DType)} {l.Tensor.ShapeText}";

    private static void ThrowIfInvalid(AnalysisOptions options)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid options: " + string.Join("; ", errors));
        }
    }
}
