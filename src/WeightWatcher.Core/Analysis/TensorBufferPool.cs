using System.Collections.Concurrent;

namespace WeightWatcher.Core.Analysis;

/// <summary>
/// Reuses the large double arrays that hold one tensor while its layer is analyzed. Models repeat a few
/// layer shapes, and allocating a fresh large-object-heap array per layer costs more (page faults,
/// gen-2 collections) than reading its bytes. Arrays are pooled by exact length, a few per length,
/// within a byte budget, so the pool never holds much more than the layers in flight.
/// </summary>
internal sealed class TensorBufferPool(int perLength, long budgetBytes)
{
    private readonly ConcurrentDictionary<int, ConcurrentBag<double[]>> _free = new();
    private long _pooledBytes;

    public double[] Rent(int length)
    {
        if (_free.TryGetValue(length, out var bag) && bag.TryTake(out var array))
        {
            Interlocked.Add(ref _pooledBytes, -8L * length);
            return array;
        }
        return GC.AllocateUninitializedArray<double>(length);
    }

    public void Return(double[] array)
    {
        var bag = _free.GetOrAdd(array.Length, _ => []);
        if (bag.Count >= perLength)
        {
            return;
        }
        long bytes = 8L * array.Length;
        if (Interlocked.Add(ref _pooledBytes, bytes) > budgetBytes)
        {
            Interlocked.Add(ref _pooledBytes, -bytes);
            return;
        }
        bag.Add(array);
    }
}
