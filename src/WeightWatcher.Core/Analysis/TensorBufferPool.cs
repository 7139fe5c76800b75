namespace WeightWatcher.Core.Analysis;

/// <summary>
/// Reuses the large double arrays that hold one tensor while its layer is analyzed. A fresh array costs
/// a page fault for every 4 KiB on its first filling (slow on virtual machines: see the README's
/// performance section) and churns the large-object heap. An array serves any tensor that fits in it; callers use its first elements only. Layers are analyzed
/// largest first, so after the first few the arrays in the pool fit every later tensor, and the pool
/// holds about one largest tensor per concurrent layer, within a byte budget.
/// </summary>
internal sealed class TensorBufferPool(int maxArrays, long budgetBytes)
{
    private readonly List<double[]> _free = [];
    private readonly object _gate = new();

    /// <summary>An array of at least <paramref name="length"/> elements (the smallest pooled one that fits, or a new one).</summary>
    public double[] Rent(int length)
    {
        lock (_gate)
        {
            int best = -1;
            for (int i = 0; i < _free.Count; i++)
            {
                if (_free[i].Length >= length && (best < 0 || _free[i].Length < _free[best].Length))
                {
                    best = i;
                }
            }
            if (best >= 0)
            {
                var array = _free[best];
                _free.RemoveAt(best);
                return array;
            }
        }
        // Every element the caller uses is overwritten, so the array need not be zeroed first.
        return GC.AllocateUninitializedArray<double>(length);
    }

    /// <summary>Gives an array back; the pool keeps the largest ones, within its count and byte budget.</summary>
    public void Return(double[] array)
    {
        lock (_gate)
        {
            _free.Add(array);
            _free.Sort((a, b) => b.Length.CompareTo(a.Length));
            long bytes = 0;
            for (int i = 0; i < _free.Count; i++)
            {
                bytes += 8L * _free[i].Length;
                if (i >= maxArrays || bytes > budgetBytes)
                {
                    _free.RemoveRange(i, _free.Count - i);
                    break;
                }
            }
        }
    }
}
