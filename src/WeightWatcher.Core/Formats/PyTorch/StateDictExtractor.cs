using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>Where a storage's bytes are: a byte range of a file, or a range inside a deflated zip entry.</summary>
/// <param name="File">The file holding the bytes.</param>
/// <param name="DeflatedEntry">The deflated zip entry holding them, or null when they are a plain byte range of <paramref name="File"/>.</param>
/// <param name="ByteOffset">Offset of the storage's first element: absolute in the file, or inside the entry's content.</param>
/// <param name="ElementCount">Elements the storage holds from there.</param>
internal sealed record TorchStorageLocation(string File, ZipEntryInfo? DeflatedEntry, long ByteOffset, long ElementCount);

/// <summary>A tensor of a PyTorch file: its header as every reader exposes it, and how to gather its elements.</summary>
/// <param name="Info">Name, dtype, shape and byte range (the range is exact for contiguous tensors in plain file ranges).</param>
/// <param name="View">Storage offset, shape and strides.</param>
/// <param name="Storage">Where the storage's bytes are.</param>
internal sealed record TorchTensorEntry(TensorInfo Info, TorchTensorRef View, TorchStorageLocation Storage);

/// <summary>
/// Turns the object a PyTorch pickle holds into the tensors of a state dict, as the reference does for
/// state dicts: when the top-level dict has a <c>'state_dict'</c> key holding a dict, that dict is used
/// (as in the reference); otherwise, when it has a <c>'model'</c> key holding a dict with tensors (a common
/// training-checkpoint layout the reference does not unwrap), that dict is used; otherwise the top-level
/// dict itself. Entries whose value is not a tensor (or whose key is not a string) are skipped; tensors keep
/// the dict's order, so ids follow the state-dict convention (from 1, for every <c>.weight</c> key).
/// <para>
/// The <c>'module.'</c> prefix: <c>torch.nn.DataParallel</c> checkpoints (such as the CIFAR ResNet
/// <c>.th</c> files) prefix every key with <c>'module.'</c>. When <b>every</b> tensor key carries it and
/// stripping is asked for (the default), one leading <c>'module.'</c> is removed, so that the same weights
/// have the same layer names whatever file they come from. The reference keeps key names as they are (its
/// names would read <c>module.conv1</c>); ids and metrics are unaffected, only names differ.
/// </para>
/// </summary>
internal static class StateDictExtractor
{
    /// <summary>The prefix <c>torch.nn.DataParallel</c> adds to every key.</summary>
    public const string DataParallelPrefix = "module.";

    /// <summary>Extracts the tensors of <paramref name="root"/>, checking each view against its storage.</summary>
    public static List<TorchTensorEntry> Extract(string file, object? root, Func<TorchStorageRef, TorchStorageLocation> locate)
    {
        if (root is not PickleDict top)
        {
            throw new ModelFormatException(file, null, $"the pickle holds a {RestrictedUnpickler.Describe(root)}, not a state dict (a dict of tensors)");
        }
        var dict = top;
        if (top.TryGet("state_dict", out var sd) && sd is PickleDict sdDict)
        {
            dict = sdDict;
        }
        else if (top.TryGet("model", out var m) && m is PickleDict modelDict && modelDict.Entries.Any(e => e.Value is TorchTensorRef))
        {
            dict = modelDict;
        }
        var pairs = dict.Entries.Where(e => e.Key is string && e.Value is TorchTensorRef).Select(e => ((string)e.Key!, (TorchTensorRef)e.Value!)).ToList();
        if (pairs.Count > ReaderLimits.MaxTensorCount)
        {
            throw new ModelFormatException(file, null, $"more than {ReaderLimits.MaxTensorCount} tensors declared");
        }
        var result = new List<TorchTensorEntry>(pairs.Count);
        foreach (var (key, view) in pairs)
        {
            result.Add(MakeEntry(file, key, view, locate(view.Storage)));
        }
        return result;
    }

    /// <summary>
    /// Removes one leading <c>'module.'</c> from every name when every tensor name carries it; otherwise
    /// returns <paramref name="entries"/> unchanged.
    /// </summary>
    public static List<TorchTensorEntry> StripDataParallelPrefix(List<TorchTensorEntry> entries)
    {
        if (entries.Count == 0 || !entries.All(e => e.Info.Name.StartsWith(DataParallelPrefix, StringComparison.Ordinal)))
        {
            return entries;
        }
        return entries.Select(e => e with { Info = e.Info with { Name = e.Info.Name[DataParallelPrefix.Length..] } }).ToList();
    }

    private static TorchTensorEntry MakeEntry(string file, string name, TorchTensorRef view, TorchStorageLocation storage)
    {
        long count = TensorInfo.CountElements(view.Shape);
        int size = DTypes.SizeOf(view.Storage.DType);
        if (count < 0 || count > long.MaxValue / 8)
        {
            throw new ModelFormatException(file, name, $"shape ({string.Join(", ", view.Shape)}) overflows");
        }
        if (view.StorageOffset > storage.ElementCount)
        {
            throw new ModelFormatException(file, name, $"storage offset {view.StorageOffset} lies beyond its storage of {storage.ElementCount} elements");
        }
        if (count > 0)
        {
            // The last element the view touches must lie inside the storage.
            long last = view.StorageOffset;
            try
            {
                for (int k = 0; k < view.Shape.Length; k++)
                {
                    last = checked(last + ((view.Shape[k] - 1) * view.Stride[k]));
                }
            }
            catch (OverflowException)
            {
                last = long.MaxValue;
            }
            if (last >= storage.ElementCount)
            {
                throw new ModelFormatException(file, name, $"view (offset {view.StorageOffset}, shape ({string.Join(", ", view.Shape)}), stride ({string.Join(", ", view.Stride)})) reaches beyond its storage of {storage.ElementCount} elements");
            }
        }
        long start = storage.ByteOffset + (view.StorageOffset * size);
        var info = new TensorInfo(name, view.Storage.DType, view.Shape, storage.File, start, count * size, storage.DeflatedEntry?.Name);
        return new TorchTensorEntry(info, view, storage);
    }
}
