using WeightWatcher.Core.Tensors;

namespace WeightWatcher.Core.Formats.PyTorch;

/// <summary>
/// Loads the tensors of a <c>torch.save</c> zip file (PyTorch 1.6 and later): <c>&lt;prefix&gt;/data.pkl</c>
/// is the pickle, whose persistent ids <c>('storage', torch.XStorage, key, location, numel)</c> name the
/// entries <c>&lt;prefix&gt;/data/&lt;key&gt;</c> holding each storage's raw little-endian bytes; an optional
/// <c>&lt;prefix&gt;/byteorder</c> entry must say <c>little</c>.
/// </summary>
internal static class TorchZipLoader
{
    private const string PickleName = "data.pkl";

    /// <summary>True when <paramref name="entries"/> hold a PyTorch pickle (<c>*/data.pkl</c>).</summary>
    public static bool IsTorchZip(IEnumerable<string> entries) => entries.Any(n => FindPrefix(n) is not null);

    /// <summary>The prefix (with its trailing slash) of a <c>data.pkl</c> entry name, or null when it is not one.</summary>
    private static string? FindPrefix(string name)
    {
        if (!name.EndsWith("/" + PickleName, StringComparison.Ordinal))
        {
            return null;
        }
        string prefix = name[..^PickleName.Length];
        return prefix.IndexOf('/') == prefix.Length - 1 ? prefix : null;
    }

    /// <summary>Reads the file's directory and pickle, and locates every tensor.</summary>
    public static List<TorchTensorEntry> Load(string file)
    {
        long fileLength = ModelPaths.FileLength(file);
        var entries = ZipDirectory.Read(file);
        var byName = new Dictionary<string, ZipEntryInfo>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (!byName.TryAdd(e.Name, e))
            {
                throw new ModelFormatException(file, null, $"zip holds the entry '{TorchGlobals.Printable(e.Name)}' more than once");
            }
        }
        var pickles = entries.Where(e => FindPrefix(e.Name) is not null).ToList();
        if (pickles.Count != 1)
        {
            throw new ModelFormatException(file, null, pickles.Count == 0
                ? "zip holds no '<name>/data.pkl' entry, so it is not a PyTorch file"
                : $"zip holds {pickles.Count} '<name>/data.pkl' entries; a PyTorch file has one");
        }
        string prefix = FindPrefix(pickles[0].Name)!;
        CheckByteOrder(file, fileLength, byName, prefix);

        ZipDirectory.Validate(file, pickles[0], fileLength);
        var pickle = ZipDirectory.ReadAll(file, pickles[0], ReaderLimits.MaxHeaderBytes);
        var storages = new Dictionary<string, TorchStorageRef>(StringComparer.Ordinal);
        object? root;
        using (var ms = new MemoryStream(pickle, writable: false))
        {
            root = RestrictedUnpickler.Load(ms, file, pid => LoadStorage(file, pid, storages));
        }
        var locations = new Dictionary<string, TorchStorageLocation>(StringComparer.Ordinal);
        return StateDictExtractor.Extract(file, root, s => Locate(file, fileLength, byName, prefix, s, locations));
    }

    private static void CheckByteOrder(string file, long fileLength, Dictionary<string, ZipEntryInfo> byName, string prefix)
    {
        if (!byName.TryGetValue(prefix + "byteorder", out var entry))
        {
            return;
        }
        ZipDirectory.Validate(file, entry, fileLength);
        string order = System.Text.Encoding.ASCII.GetString(ZipDirectory.ReadAll(file, entry, 64)).Trim();
        if (order != "little")
        {
            throw new ModelFormatException(file, null, $"byteorder is '{TorchGlobals.Printable(order)}'; only little-endian PyTorch files are supported");
        }
    }

    /// <summary>Interprets a persistent id <c>('storage', storage_type, key, location, numel)</c>.</summary>
    internal static TorchStorageRef LoadStorage(string file, object? pid, Dictionary<string, TorchStorageRef> storages)
    {
        if (pid is not PickleTuple { Items.Length: >= 5 } t || t.Items[0] is not string kind || kind != "storage")
        {
            throw new ModelFormatException(file, null, $"persistent id is a {RestrictedUnpickler.Describe(pid)}, not ('storage', type, key, location, size)");
        }
        if (t.Items[1] is not PickleGlobal { Kind: PickleGlobalKind.StorageType } type)
        {
            throw new ModelFormatException(file, null, $"persistent id names a {RestrictedUnpickler.Describe(t.Items[1])} where a storage type was expected");
        }
        string key = t.Items[2] switch
        {
            string s => s,
            long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw new ModelFormatException(file, null, "persistent id has a storage key that is not a string"),
        };
        long numel = TorchGlobals.ToLong(file, type, t.Items[4], "storage size");
        if (numel < 0 || numel > long.MaxValue / 16)
        {
            throw new ModelFormatException(file, null, $"storage '{TorchGlobals.Printable(key)}' claims {numel} elements");
        }
        var storage = new TorchStorageRef(key, type.StorageDType, numel, key, 0);
        if (storages.TryGetValue(key, out var known))
        {
            if (known.DType != storage.DType || known.ElementCount != storage.ElementCount)
            {
                throw new ModelFormatException(file, null, $"storage '{TorchGlobals.Printable(key)}' is declared twice with different types or sizes");
            }
            return known;
        }
        if (storages.Count >= ReaderLimits.MaxTensorCount)
        {
            throw new ModelFormatException(file, null, $"more than {ReaderLimits.MaxTensorCount} storages declared");
        }
        storages[key] = storage;
        return storage;
    }

    private static TorchStorageLocation Locate(string file, long fileLength, Dictionary<string, ZipEntryInfo> byName, string prefix, TorchStorageRef s, Dictionary<string, TorchStorageLocation> cache)
    {
        if (cache.TryGetValue(s.Key, out var known))
        {
            return known;
        }
        string name = prefix + "data/" + s.Key;
        if (!byName.TryGetValue(name, out var entry))
        {
            throw new ModelFormatException(file, null, $"storage '{TorchGlobals.Printable(s.Key)}' has no zip entry '{TorchGlobals.Printable(name)}'");
        }
        ZipDirectory.Validate(file, entry, fileLength);
        long needed = s.ElementCount * DTypes.SizeOf(s.DType);
        if (entry.UncompressedSize < needed)
        {
            throw new ModelFormatException(file, null, $"storage '{TorchGlobals.Printable(s.Key)}' of {s.ElementCount} {DTypes.DisplayName(s.DType)} elements needs {needed} bytes but its entry holds {entry.UncompressedSize}");
        }
        var location = entry.IsStored
            ? new TorchStorageLocation(file, null, entry.DataOffset, s.ElementCount)
            : new TorchStorageLocation(file, entry, 0, s.ElementCount);
        cache[s.Key] = location;
        return location;
    }
}
