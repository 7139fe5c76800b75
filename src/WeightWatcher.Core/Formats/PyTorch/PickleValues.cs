using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>
/// The values a <see cref="RestrictedUnpickler"/> builds. Python <c>None</c> is <c>null</c>; <c>bool</c>,
/// <c>long</c>, <see cref="System.Numerics.BigInteger"/>, <c>double</c>, <c>string</c> and <c>byte[]</c>
/// stand for themselves; containers are the classes below. Nothing here can execute code: a global is
/// only ever one of the whitelisted <see cref="PickleGlobal"/> kinds.
/// </summary>
public abstract class PickleContainer
{
    /// <summary>Nesting depth: 1 for a container of scalars, one more for each level of containers inside.</summary>
    public int Depth { get; private set; } = 1;

    /// <summary>Raises <see cref="Depth"/> after <paramref name="child"/> was put inside; returns the new depth.</summary>
    internal int Include(object? child)
    {
        if (child is PickleContainer c && c.Depth + 1 > Depth)
        {
            Depth = c.Depth + 1;
        }
        return Depth;
    }
}

/// <summary>A Python list (or set: sets are kept as lists, their order being irrelevant here).</summary>
public sealed class PickleList : PickleContainer
{
    /// <summary>The items.</summary>
    public List<object?> Items { get; } = [];
}

/// <summary>A Python tuple.</summary>
public sealed class PickleTuple : PickleContainer
{
    /// <summary>Creates a tuple of <paramref name="items"/>.</summary>
    public PickleTuple(object?[] items)
    {
        Items = items;
        foreach (var item in items)
        {
            Include(item);
        }
    }

    /// <summary>The items.</summary>
    public object?[] Items { get; }
}

/// <summary>
/// A Python dict or <c>collections.OrderedDict</c>, in insertion order. String keys are unique (a key set
/// twice keeps its first position and takes the last value, as in Python); other keys are kept as given.
/// </summary>
public sealed class PickleDict : PickleContainer
{
    private readonly List<KeyValuePair<object?, object?>> _entries = [];
    private readonly Dictionary<string, int> _stringKeys = new(StringComparer.Ordinal);

    /// <summary>The entries in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<object?, object?>> Entries => _entries;

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public void Set(object? key, object? value)
    {
        if (key is string s)
        {
            if (_stringKeys.TryGetValue(s, out int at))
            {
                _entries[at] = new(key, value);
                Include(value);
                return;
            }
            _stringKeys[s] = _entries.Count;
        }
        _entries.Add(new(key, value));
        Include(key);
        Include(value);
    }

    /// <summary>The value of a string key, if present.</summary>
    public bool TryGet(string key, out object? value)
    {
        if (_stringKeys.TryGetValue(key, out int at))
        {
            value = _entries[at].Value;
            return true;
        }
        value = null;
        return false;
    }
}

/// <summary>The only globals a pickle may name (everything else is refused when it is read).</summary>
public enum PickleGlobalKind
{
    /// <summary><c>collections.OrderedDict</c>.</summary>
    OrderedDict,
    /// <summary><c>torch._utils._rebuild_tensor</c> (storage, offset, size, stride).</summary>
    RebuildTensor,
    /// <summary><c>torch._utils._rebuild_tensor_v2</c> (storage, offset, size, stride, requires_grad, hooks[, metadata]).</summary>
    RebuildTensorV2,
    /// <summary><c>torch._utils._rebuild_parameter</c> and <c>_rebuild_parameter_with_state</c>.</summary>
    RebuildParameter,
    /// <summary><c>torch.nn.parameter.Parameter</c>.</summary>
    Parameter,
    /// <summary><c>torch.Size</c> (a tuple of ints).</summary>
    Size,
    /// <summary>A typed storage class such as <c>torch.FloatStorage</c>.</summary>
    StorageType,
    /// <summary><c>torch._tensor._rebuild_from_type_v2</c> (func, new_type, args, state): calls func with args.</summary>
    RebuildFromType,
    /// <summary><c>torch.Tensor</c>, only as the new_type argument of <see cref="RebuildFromType"/>.</summary>
    TensorClass,
}

/// <summary>A whitelisted global, as pushed by GLOBAL, STACK_GLOBAL or INST.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="QualifiedName">Its dotted name, for messages.</param>
/// <param name="StorageDType">For <see cref="PickleGlobalKind.StorageType"/>: the element type.</param>
public sealed record PickleGlobal(PickleGlobalKind Kind, string QualifiedName, DType StorageDType = DType.U8);

/// <summary>
/// A storage named by a persistent id: its key in the file, element type and element count; for a legacy
/// view of another storage, the root key and the element offset into it.
/// </summary>
/// <param name="Key">The storage's key (zip: <c>data/&lt;key&gt;</c>; legacy: the key in the storage list).</param>
/// <param name="DType">Element type, from the storage class.</param>
/// <param name="ElementCount">Elements the storage holds.</param>
/// <param name="RootKey">The storage whose bytes hold this one (itself unless a legacy view).</param>
/// <param name="RootElementOffset">Element offset of this storage inside its root.</param>
public sealed record TorchStorageRef(string Key, DType DType, long ElementCount, string RootKey, long RootElementOffset);

/// <summary>A tensor rebuilt from a pickle: a strided view of a storage.</summary>
/// <param name="Storage">The storage holding the elements.</param>
/// <param name="StorageOffset">Element offset of the first element inside the storage.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Stride">Element stride of each dimension.</param>
public sealed record TorchTensorRef(TorchStorageRef Storage, long StorageOffset, long[] Shape, long[] Stride)
{
    /// <summary>True when the elements lie in row-major order without gaps (dimensions of size 1 are ignored).</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int k = Shape.Length - 1; k >= 0; k--)
            {
                if (Shape[k] != 1 && Stride[k] != expected)
                {
                    return false;
                }
                expected *= Shape[k];
            }
            return true;
        }
    }
}
