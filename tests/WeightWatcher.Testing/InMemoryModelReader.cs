using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Testing;

/// <summary>A model held in memory as float64 tensors (like an in-memory state dict), for property tests.</summary>
public sealed class InMemoryModelReader : IModelReader
{
    private readonly Dictionary<string, double[]> _data = new(StringComparer.Ordinal);
    private readonly List<TensorInfo> _tensors = [];

    /// <inheritdoc />
    public string ModelPath => "memory";

    /// <inheritdoc />
    public string FormatName => "memory";

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Tensors => _tensors;

    /// <summary>Adds a tensor; <paramref name="values"/> must hold exactly the shape's element count.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="shape">Its shape.</param>
    /// <param name="values">Its values, row-major.</param>
    /// <param name="dtype">The stored type it claims.</param>
    public InMemoryModelReader Add(string name, long[] shape, double[] values, DType dtype = DType.F64)
    {
        Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), values.LongLength);
        _tensors.Add(new TensorInfo(name, dtype, shape, "memory", 0, values.LongLength * DTypes.SizeOf(dtype)));
        _data[name] = values;
        return this;
    }

    /// <inheritdoc />
    public void ReadTensor(TensorInfo tensor, Span<double> destination) => _data[tensor.Name].CopyTo(destination);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>Deterministic heavy-tailed values (the golden generator, widened to double).</summary>
    /// <param name="seed">The generator seed.</param>
    /// <param name="count">How many values.</param>
    public static double[] Values(ulong seed, long count) =>
        WeightWatcher.Core.Synthetic.ReferenceModel.Generate(seed, count).Select(v => (double)v).ToArray();
}
