using System.Numerics;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>
/// The whitelist of globals a PyTorch pickle may name, and what calling each one means. Nothing is ever
/// imported or executed: a name outside the whitelist (<c>os.system</c>, <c>builtins.eval</c>,
/// <c>subprocess.Popen</c>, any model class ...) is refused with a <see cref="ModelFormatException"/>
/// naming the file and the global.
/// </summary>
internal static class TorchGlobals
{
    private static readonly Dictionary<string, DType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["DoubleStorage"] = DType.F64,
        ["FloatStorage"] = DType.F32,
        ["HalfStorage"] = DType.F16,
        ["BFloat16Storage"] = DType.BF16,
        ["LongStorage"] = DType.I64,
        ["IntStorage"] = DType.I32,
        ["ShortStorage"] = DType.I16,
        ["CharStorage"] = DType.I8,
        ["ByteStorage"] = DType.U8,
        ["BoolStorage"] = DType.Bool,
    };

    /// <summary>Resolves <paramref name="module"/>.<paramref name="name"/>, or refuses it.</summary>
    public static PickleGlobal Resolve(string file, string module, string name)
    {
        string qualified = module + "." + name;
        PickleGlobalKind? kind = (module, name) switch
        {
            ("collections", "OrderedDict") => PickleGlobalKind.OrderedDict,
            ("torch._utils", "_rebuild_tensor") => PickleGlobalKind.RebuildTensor,
            ("torch._utils", "_rebuild_tensor_v2") => PickleGlobalKind.RebuildTensorV2,
            ("torch._utils", "_rebuild_parameter") => PickleGlobalKind.RebuildParameter,
            ("torch._utils", "_rebuild_parameter_with_state") => PickleGlobalKind.RebuildParameter,
            ("torch.nn.parameter", "Parameter") => PickleGlobalKind.Parameter,
            ("torch", "Size") => PickleGlobalKind.Size,
            ("torch._tensor", "_rebuild_from_type_v2") => PickleGlobalKind.RebuildFromType,
            ("torch", "Tensor") => PickleGlobalKind.TensorClass,
            _ => null,
        };
        if (kind is { } k)
        {
            return new PickleGlobal(k, qualified);
        }
        if (module == "torch" && StorageTypes.TryGetValue(name, out var dtype))
        {
            return new PickleGlobal(PickleGlobalKind.StorageType, qualified, dtype);
        }
        if (module == "torch" && name.EndsWith("Storage", StringComparison.Ordinal))
        {
            throw new ModelFormatException(file, null, $"storage type '{Printable(qualified)}' is not supported (float64/32/16, bfloat16 and integer storages are)");
        }
        throw new ModelFormatException(file, null,
            $"pickle refers to global '{Printable(qualified)}', which is not allowed: only tensors, storages, dicts, lists and scalars are read (no code is ever run)");
    }

    /// <summary>Applies a REDUCE (call) or NEWOBJ (class instantiation) of a whitelisted global.</summary>
    public static object? Call(string file, PickleGlobal callable, object?[] args)
    {
        switch (callable.Kind)
        {
            case PickleGlobalKind.OrderedDict:
                return NewDict(file, args);
            case PickleGlobalKind.RebuildTensor:
            case PickleGlobalKind.RebuildTensorV2:
                return RebuildTensor(file, callable, args);
            case PickleGlobalKind.RebuildParameter:
            case PickleGlobalKind.Parameter:
                if (args.Length < 1 || args[0] is not TorchTensorRef t)
                {
                    throw Bad(file, callable, "expects a tensor as first argument");
                }
                return t;
            case PickleGlobalKind.RebuildFromType:
                if (args.Length < 3 || args[0] is not PickleGlobal { Kind: PickleGlobalKind.RebuildTensor or PickleGlobalKind.RebuildTensorV2 or PickleGlobalKind.RebuildParameter } inner
                    || args[1] is not PickleGlobal { Kind: PickleGlobalKind.TensorClass or PickleGlobalKind.Parameter } || args[2] is not PickleTuple innerArgs)
                {
                    throw Bad(file, callable, "expects (a tensor rebuild function, torch.Tensor or Parameter, an argument tuple, state)");
                }
                return Call(file, inner, innerArgs.Items);
            case PickleGlobalKind.Size:
                if (args.Length == 0)
                {
                    return new PickleTuple([]);
                }
                return args[0] is PickleTuple or PickleList ? args[0] : throw Bad(file, callable, "expects a tuple");
            default:
                throw Bad(file, callable, "cannot be called (storages are only accepted through persistent ids)");
        }
    }

    private static PickleDict NewDict(string file, object?[] args)
    {
        var dict = new PickleDict();
        if (args.Length == 0 || (args.Length == 1 && args[0] is null))
        {
            return dict;
        }
        if (args.Length == 1 && args[0] is PickleList or PickleTuple)
        {
            var items = args[0] is PickleList l ? l.Items.ToArray() : ((PickleTuple)args[0]!).Items;
            foreach (var item in items)
            {
                if (item is not PickleTuple { Items.Length: 2 } pair)
                {
                    throw new ModelFormatException(file, null, "collections.OrderedDict called with an item that is not a (key, value) pair");
                }
                dict.Set(pair.Items[0], pair.Items[1]);
            }
            return dict;
        }
        throw new ModelFormatException(file, null, "collections.OrderedDict called with unexpected arguments");
    }

    private static TorchTensorRef RebuildTensor(string file, PickleGlobal callable, object?[] args)
    {
        if (args.Length < 4)
        {
            throw Bad(file, callable, $"expects at least 4 arguments, got {args.Length}");
        }
        if (args[0] is not TorchStorageRef storage)
        {
            throw Bad(file, callable, "expects a storage (persistent id) as first argument");
        }
        long offset = ToLong(file, callable, args[1], "storage offset");
        var shape = ToLongs(file, callable, args[2], "size");
        var stride = ToLongs(file, callable, args[3], "stride");
        if (stride.Length != shape.Length)
        {
            throw Bad(file, callable, $"has {shape.Length} sizes but {stride.Length} strides");
        }
        if (offset < 0 || shape.Any(d => d < 0) || stride.Any(s => s < 0))
        {
            throw Bad(file, callable, "has a negative size, stride or storage offset");
        }
        return new TorchTensorRef(storage, offset, shape, stride);
    }

    /// <summary>A Python int argument as a 64-bit integer.</summary>
    public static long ToLong(string file, PickleGlobal callable, object? value, string what) => value switch
    {
        long v => v,
        bool b => b ? 1 : 0,
        BigInteger big when big >= long.MinValue && big <= long.MaxValue => (long)big,
        _ => throw Bad(file, callable, $"{what} is not a 64-bit integer"),
    };

    private static long[] ToLongs(string file, PickleGlobal callable, object? value, string what)
    {
        object?[] items = value switch
        {
            PickleTuple t => t.Items,
            PickleList l => l.Items.ToArray(),
            _ => throw Bad(file, callable, $"{what} is not a tuple"),
        };
        if (items.Length > ReaderLimits.MaxRank)
        {
            throw Bad(file, callable, $"{what} has {items.Length} entries, more than the limit of {ReaderLimits.MaxRank}");
        }
        return items.Select(i => ToLong(file, callable, i, what)).ToArray();
    }

    private static ModelFormatException Bad(string file, PickleGlobal callable, string reason) =>
        new(file, null, $"{callable.QualifiedName} {reason}");

    /// <summary>A name cut to 200 characters with control characters escaped, for messages.</summary>
    public static string Printable(string s)
    {
        var cut = s.Length > 200 ? s[..200] + "..." : s;
        return string.Concat(cut.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
    }
}
