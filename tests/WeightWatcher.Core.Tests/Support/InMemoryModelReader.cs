using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Tests.Support;

/// <summary>A model held in memory as float64 tensors (like an in-memory state dict), for property tests.</summary>
public sealed class InMemoryModelReader : IModelReader
{
    private readonly Dictionary<string, double[]> _data = new(StringComparer.Ordinal);
    private readonly List<TensorInfo> _tensors = [];

    public string ModelPath => "memory";

    public string FormatName => "memory";

    public IReadOnlyList<TensorInfo> Tensors => _tensors;

    public InMemoryModelReader Add(string name, long[] shape, double[] values, DType dtype = DType.F64)
    {
        Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), values.LongLength);
        _tensors.Add(new TensorInfo(name, dtype, shape, "memory", 0, values.LongLength * DTypes.SizeOf(dtype)));
        _data[name] = values;
        return this;
    }

    public void ReadTensor(TensorInfo tensor, Span<double> destination) => _data[tensor.Name].CopyTo(destination);

    public void Dispose()
    {
    }

    /// <summary>Deterministic heavy-tailed values (the golden generator, widened to double).</summary>
    public static double[] Values(ulong seed, long count) =>
        Synthetic.ReferenceModel.Generate(seed, count).Select(v => (double)v).ToArray();
}
