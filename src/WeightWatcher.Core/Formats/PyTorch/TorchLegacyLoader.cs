using System.Buffers.Binary;
using System.Numerics;
using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>
/// Loads the tensors of a legacy (pre-1.6, non-zip) <c>torch.save</c> file: five pickles in a row (the magic
/// number 0x1950a86a20f9469cfc6c, the protocol version 1001, a sys_info dict, the object itself whose
/// persistent ids <c>('storage', torch.XStorage, key, location, numel, view)</c> name storages, and the list
/// of storage keys), then each listed storage's raw bytes preceded by its 8-byte little-endian element
/// count. Every storage's byte offset in the file is computed up front, so tensors are read by range.
/// </summary>
internal static class TorchLegacyLoader
{
    /// <summary>The magic number a legacy file's first pickle holds.</summary>
    public static readonly BigInteger Magic = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture);

    private static readonly byte[] MagicBytes = [0x8a, 0x0a, 108, 252, 156, 70, 249, 32, 106, 168, 80, 25];

    /// <summary>True when <paramref name="head"/> (the first bytes of a file) is PROTO 2-5 then the legacy magic number.</summary>
    public static bool HasLegacyMagic(ReadOnlySpan<byte> head) =>
        head.Length >= 2 + MagicBytes.Length && head[0] == 0x80 && head[1] is >= 2 and <= 5 && head.Slice(2, MagicBytes.Length).SequenceEqual(MagicBytes);

    /// <summary>True when <paramref name="file"/> starts with the legacy magic pickle.</summary>
    public static bool HasLegacyMagic(string file)
    {
        Span<byte> head = stackalloc byte[14];
        try
        {
            using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            int n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return HasLegacyMagic(head[..n]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(file, null, $"cannot open: {e.Message}", e);
        }
    }

    /// <summary>Reads the five pickles and the storage table, and locates every tensor.</summary>
    public static List<TorchTensorEntry> Load(string file)
    {
        FileStream fs;
        try
        {
            fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(file, null, $"cannot open: {e.Message}", e);
        }
        using (fs)
        {
            if (RestrictedUnpickler.Load(fs, file, null) is not BigInteger magic || magic != Magic)
            {
                throw new ModelFormatException(file, null, "not a legacy PyTorch file: the first pickle is not the magic number");
            }
            if (RestrictedUnpickler.Load(fs, file, null) is not long version || version != 1001)
            {
                throw new ModelFormatException(file, null, "legacy PyTorch protocol version is not 1001");
            }
            var sysInfo = RestrictedUnpickler.Load(fs, file, null);
            if (sysInfo is PickleDict info && info.TryGet("little_endian", out var le) && le is false)
            {
                throw new ModelFormatException(file, null, "file was saved on a big-endian machine; only little-endian files are supported");
            }
            var roots = new Dictionary<string, TorchStorageRef>(StringComparer.Ordinal);
            var root = RestrictedUnpickler.Load(fs, file, pid => LoadStorage(file, pid, roots));
            if (RestrictedUnpickler.Load(fs, file, null) is not PickleList keys)
            {
                throw new ModelFormatException(file, null, "legacy storage key list is not a list");
            }
            var locations = ReadStorageTable(file, fs.Position, fs.Length, keys, roots);
            return StateDictExtractor.Extract(file, root, s => Locate(file, s, locations));
        }
    }

    private static Dictionary<string, TorchStorageLocation> ReadStorageTable(string file, long offset, long fileLength, PickleList keys, Dictionary<string, TorchStorageRef> roots)
    {
        var result = new Dictionary<string, TorchStorageLocation>(StringComparer.Ordinal);
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> countBytes = stackalloc byte[8];
        foreach (var k in keys.Items)
        {
            if (k is not string key)
            {
                throw new ModelFormatException(file, null, "legacy storage key list holds a value that is not a string");
            }
            if (!roots.TryGetValue(key, out var storage))
            {
                throw new ModelFormatException(file, null, $"legacy storage list names '{TorchGlobals.Printable(key)}', which no tensor declared");
            }
            if (result.ContainsKey(key))
            {
                throw new ModelFormatException(file, null, $"legacy storage list names '{TorchGlobals.Printable(key)}' twice");
            }
            if (offset > fileLength - 8 || RandomAccess.Read(handle, countBytes, offset) != 8)
            {
                throw new ModelFormatException(file, null, $"storage '{TorchGlobals.Printable(key)}' is missing: the file ends at byte {fileLength} (truncated)");
            }
            long count = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(countBytes), long.MaxValue);
            int size = DTypes.SizeOf(storage.DType);
            if (count != storage.ElementCount)
            {
                throw new ModelFormatException(file, null, $"storage '{TorchGlobals.Printable(key)}' holds {count} elements but was declared with {storage.ElementCount}");
            }
            if (count > (fileLength - offset - 8) / size)
            {
                throw new ModelFormatException(file, null, $"storage '{TorchGlobals.Printable(key)}' of {count} {DTypes.DisplayName(storage.DType)} elements at byte {offset + 8} runs beyond the end of the file ({fileLength} bytes; truncated?)");
            }
            result[key] = new TorchStorageLocation(file, null, offset + 8, count);
            offset += 8 + (count * size);
        }
        return result;
    }

    /// <summary>Interprets a legacy persistent id <c>('storage', type, root_key, location, numel, view_metadata)</c>.</summary>
    private static TorchStorageRef LoadStorage(string file, object? pid, Dictionary<string, TorchStorageRef> roots)
    {
        if (pid is PickleTuple { Items.Length: > 0 } t0 && t0.Items[0] is "module")
        {
            throw new ModelFormatException(file, null, "the file holds a whole pickled module (source code), not a state dict; save model.state_dict() instead");
        }
        var root = TorchZipLoader.LoadStorage(file, pid, roots);
        var items = ((PickleTuple)pid!).Items;
        if (items.Length < 6 || items[5] is null)
        {
            return root;
        }
        if (items[5] is not PickleTuple { Items.Length: 3 } view || view.Items[0] is not string viewKey)
        {
            throw new ModelFormatException(file, null, "legacy storage view is not (key, offset, size)");
        }
        var type = (PickleGlobal)items[1]!;
        long viewOffset = TorchGlobals.ToLong(file, type, view.Items[1], "storage view offset");
        long viewSize = TorchGlobals.ToLong(file, type, view.Items[2], "storage view size");
        if (viewOffset < 0 || viewSize < 0 || viewOffset > root.ElementCount || viewSize > root.ElementCount - viewOffset)
        {
            throw new ModelFormatException(file, null, $"storage view '{TorchGlobals.Printable(viewKey)}' [{viewOffset}, +{viewSize}) lies outside storage '{TorchGlobals.Printable(root.Key)}' of {root.ElementCount} elements");
        }
        return new TorchStorageRef(viewKey, root.DType, viewSize, root.Key, viewOffset);
    }

    private static TorchStorageLocation Locate(string file, TorchStorageRef s, Dictionary<string, TorchStorageLocation> roots)
    {
        if (!roots.TryGetValue(s.RootKey, out var root))
        {
            throw new ModelFormatException(file, null, $"storage '{TorchGlobals.Printable(s.RootKey)}' is used by a tensor but not stored in the file");
        }
        if (s.RootKey == s.Key)
        {
            return root;
        }
        int size = DTypes.SizeOf(s.DType);
        return new TorchStorageLocation(file, null, root.ByteOffset + (s.RootElementOffset * size), s.ElementCount);
    }
}
