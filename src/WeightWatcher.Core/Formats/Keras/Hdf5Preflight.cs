namespace WeightWatcher.Core.Formats.Keras;

/// <summary>
/// Checks the metadata of an HDF5 file before PureHDF parses it. PureHDF takes length fields at their word:
/// it allocates a buffer of the size a field claims (up to 2 GB) and only then finds the file too short.
/// This walk visits what the Keras reader makes PureHDF decode — the superblock, every object header reachable
/// from the root (version 1 and 2, with their continuation blocks and shared messages), symbol-table groups
/// (B-tree nodes, symbol table nodes, local heaps), link, attribute, datatype, dataspace, fill value and layout
/// messages, the global heap collections that variable-length string attributes point to, and the chunk
/// B-trees of chunked datasets — with reads of its own that never allocate more than a small window, and
/// rejects any length or address that does not fit in the structure that holds it or in the file. What
/// passes can only make PureHDF allocate about as much as the file holds (<see cref="Hdf5Tensors"/> bounds
/// the data sets themselves). Where PureHDF would refuse a structure anyway (an unknown message version),
/// the walk leaves it to PureHDF. Dense link and attribute storage (fractal heaps indexed by version 2
/// B-trees, as h5py writes large groups with <c>libver="latest"</c>) is walked too.
/// </summary>
internal sealed partial class Hdf5Preflight
{
    /// <summary>Most B-tree and symbol table nodes read in one file: more is a loop, not a model.</summary>
    private const int MaxNodes = 1_000_000;

    private readonly Hdf5MetadataReader _r;
    private readonly HashSet<long> _objects = [];
    private readonly HashSet<long> _sharedInProgress = [];
    private readonly HashSet<long> _globalHeaps = [];
    private readonly Stack<(string Path, ulong Address)> _pending = new();
    private int _nodes;

    private Hdf5Preflight(Hdf5MetadataReader reader) => _r = reader;

    /// <summary>Walks <paramref name="file"/>'s metadata.</summary>
    /// <exception cref="ModelFormatException">A length or address field is beyond its structure or the file.</exception>
    public static void Check(string file)
    {
        using var reader = new Hdf5MetadataReader(file);
        new Hdf5Preflight(reader).Run();
    }

    private void Run()
    {
        var (rootAddress, scratch) = Superblock();
        if (scratch is { } s)
        {
            CheckSymbolTable("/", s.BTree, s.Heap);
        }
        _pending.Push(("/", rootAddress));
        while (_pending.Count > 0)
        {
            var (path, address) = _pending.Pop();
            VisitObject(path, address);
        }
    }

    /// <summary>The root group's object header address, and the B-tree and heap its cached entry names.</summary>
    private (ulong Root, (ulong BTree, ulong Heap)? Scratch) Superblock()
    {
        var c = _r.Cursor(0, _r.Length, "/", "superblock");
        c.Skip(8, "signature");
        byte version = c.U8("version");
        if (version >= 2)
        {
            if (version > 3)
            {
                throw _r.Fail("/", $"superblock version {version} is not supported");
            }
            SetSizes(c.U8("offset size"), c.U8("length size"));
            c.Skip(1, "flags");
            _r.BaseAddress = c.Offset("base address");
            c.Offset("superblock extension address");
            c.Offset("end of file address");
            return (c.Offset("root group object header address"), null);
        }
        c.Skip(4, "version numbers");
        SetSizes(c.U8("offset size"), c.U8("length size"));
        c.Skip(1 + 2 + 2 + 4, "B-tree ranks and flags");
        if (version == 1)
        {
            c.Skip(4, "indexed storage rank");
        }
        _r.BaseAddress = c.Offset("base address");
        c.Offset("free space address");
        c.Offset("end of file address");
        c.Offset("driver information block address"); // not read by PureHDF
        var (_, header, scratch) = SymbolTableEntry(c, "/");
        return (header, scratch);
    }

    private void SetSizes(byte offsetSize, byte lengthSize)
    {
        if (offsetSize is not (2 or 4 or 8) || lengthSize is not (2 or 4 or 8))
        {
            throw _r.Fail("/", $"superblock gives offsets of {offsetSize} and lengths of {lengthSize} bytes (2, 4 or 8 expected)");
        }
        _r.OffsetSize = offsetSize;
        _r.LengthSize = lengthSize;
    }

    /// <summary>A symbol table entry: link name offset, object header address, cached B-tree and heap.</summary>
    private (ulong NameOffset, ulong Header, (ulong BTree, ulong Heap)? Scratch) SymbolTableEntry(Hdf5Cursor c, string path)
    {
        ulong nameOffset = c.Offset("link name offset");
        ulong header = c.Offset("object header address");
        uint cacheType = c.U32("cache type");
        c.Skip(4, "reserved");
        (ulong, ulong)? scratch = null;
        if (cacheType == 1)
        {
            // PureHDF reads these two addresses with the superblock's length size.
            scratch = (c.Length("cached B-tree address"), c.Length("cached local heap address"));
        }
        else if (cacheType > 2)
        {
            throw _r.Fail(path, $"symbol table entry has cache type {cacheType}");
        }
        c.Skip(16 - (ulong)(scratch is null ? 0 : 2 * _r.LengthSize), "scratch pad");
        return (nameOffset, header, scratch);
    }

    private void VisitObject(string path, ulong address)
    {
        long position = _r.Resolve(address, 1, path, "object header address");
        if (!_objects.Add(position))
        {
            return; // a second link to an object already checked (Hdf5Tensors refuses cycles itself)
        }
        if (_objects.Count > ReaderLimits.MaxTensorCount)
        {
            throw _r.Fail(null, $"more than {ReaderLimits.MaxTensorCount} objects");
        }
        var messages = Header(path, position);
        var info = CheckMessages(path, messages);
        foreach (var (bTree, heap) in info.SymbolTables)
        {
            CheckSymbolTable(path, bTree, heap);
        }
        foreach (var (name, target) in info.HardLinks)
        {
            _pending.Push((Child(path, name), target));
        }
    }

    private static string Child(string path, string name) => path == "/" ? name : path + "/" + name;

    /// <summary>One message of an object header: its type, flags and body [Start, End).</summary>
    /// <summary>Message flag bit 1: the message is shared (its body points to another object header).</summary>
    private const byte SharedMessageFlag = 0x02;

    private readonly record struct Message(Hdf5MessageType Type, byte Flags, long Start, long End);

    /// <summary>The messages of the object header at <paramref name="position"/>, continuation blocks included.</summary>
    private List<Message> Header(string path, long position)
    {
        var c = _r.Cursor(position, _r.Length, path, "object header");
        var messages = new List<Message>();
        var continuations = new List<(ulong Address, ulong Length)>();
        int version;
        bool creationOrder = false;
        ulong size;
        if (c.U8("version") == 1)
        {
            version = 1;
            c.Skip(1 + 2 + 4, "header prefix");
            size = c.U32("header size");
            if (size != 0)
            {
                c.Skip(4, "alignment");
            }
        }
        else
        {
            c.Position = position;
            c.Signature("OHDR");
            version = c.U8("version");
            if (version != 2)
            {
                throw _r.Fail(path, $"object header version {version} is not supported");
            }
            byte flags = c.U8("flags");
            c.Skip((flags & 0x20) != 0 ? 16UL : 0, "times");
            c.Skip((flags & 0x10) != 0 ? 4UL : 0, "attribute phase change values");
            size = c.UInt(1 << (flags & 3), "size of chunk 0");
            creationOrder = (flags & 0x04) != 0;
        }
        c.Need(size, "first chunk");
        Messages(path, c.Position, size, version, creationOrder, messages, continuations);
        var seen = new HashSet<ulong>();
        for (int i = 0; i < continuations.Count; i++)
        {
            var (address, length) = continuations[i];
            if (!seen.Add(address) || seen.Count > ushort.MaxValue)
            {
                throw _r.Fail(path, "object header continuation blocks form a loop");
            }
            long block = _r.Resolve(address, length, path, "object header continuation address");
            if (version == 1)
            {
                Messages(path, block, length, 1, false, messages, continuations);
                continue;
            }
            if (length < 8)
            {
                throw _r.Fail(path, $"object header continuation block of {length} bytes has no room for its signature and checksum");
            }
            _r.Cursor(block, block + 4, path, "object header continuation block").Signature("OCHK");
            Messages(path, block + 4, length - 8, 2, creationOrder, messages, continuations);
        }
        return messages;
    }

    /// <summary>The messages of one header chunk of <paramref name="size"/> bytes at <paramref name="start"/>.</summary>
    private void Messages(string path, long start, ulong size, int version, bool creationOrder, List<Message> messages, List<(ulong, ulong)> continuations)
    {
        var c = _r.Cursor(start, start + (long)size, path, "object header chunk");
        ulong prefix = version == 1 ? 8UL : creationOrder ? 6UL : 4UL;
        // Like the library, stop when what is left cannot hold a message prefix (a gap, in version 2).
        ulong floor = version == 1 ? 0 : prefix;
        while ((ulong)c.Left > floor)
        {
            int type = version == 1 ? c.U16("message type") : c.U8("message type");
            ushort dataSize = c.U16("message size");
            byte flags = c.U8("message flags");
            c.Skip(version == 1 ? 3UL : creationOrder ? 2UL : 0, "message prefix");
            c.Need(dataSize, $"message of type {type}");
            var message = new Message((Hdf5MessageType)type, flags, c.Position, c.Position + dataSize);
            c.Position += dataSize;
            if (message.Type == Hdf5MessageType.Continuation)
            {
                var body = _r.Cursor(message.Start, message.End, path, "continuation message");
                continuations.Add((body.Offset("continuation address"), body.Length("continuation length")));
            }
            else
            {
                messages.Add(message);
            }
            if (messages.Count + continuations.Count > ushort.MaxValue * 4)
            {
                throw _r.Fail(path, "object header holds too many messages");
            }
        }
    }

    /// <summary>A group's B-tree (version 1, type 0) and the symbol table nodes and local heap it indexes.</summary>
    private void CheckSymbolTable(string path, ulong bTree, ulong heap)
    {
        var names = LocalHeap(path, heap);
        var visited = new HashSet<long>();
        var pending = new Stack<(ulong Address, int Level)>();
        pending.Push((bTree, -1));
        while (pending.Count > 0)
        {
            var (address, expectedLevel) = pending.Pop();
            long position = _r.Resolve(address, 8, path, "group B-tree node address");
            if (!visited.Add(position) || ++_nodes > MaxNodes)
            {
                throw _r.Fail(path, "group B-tree nodes form a loop");
            }
            var (level, children) = BTreeNode(path, position, 0, expectedLevel);
            foreach (ulong child in children)
            {
                if (level > 0)
                {
                    pending.Push((child, level - 1));
                }
                else
                {
                    SymbolTableNode(path, child, names);
                }
            }
        }
    }

    /// <summary>Reads a version 1 B-tree node of <paramref name="nodeType"/>: its level and child addresses.</summary>
    private (int Level, List<ulong> Children) BTreeNode(string path, long position, int nodeType, int expectedLevel, int chunkRank = 0)
    {
        var c = _r.Cursor(position, _r.Length, path, "B-tree node");
        c.Signature("TREE");
        int type = c.U8("node type");
        int level = c.U8("node level");
        ushort entries = c.U16("entries used");
        if (type != nodeType || (expectedLevel >= 0 && level != expectedLevel))
        {
            throw _r.Fail(path, $"B-tree node at {position} is of type {type}, level {level} where type {nodeType}{(expectedLevel >= 0 ? $", level {expectedLevel}" : "")} belongs");
        }
        c.Skip(2UL * (ulong)_r.OffsetSize, "sibling addresses");
        ulong keySize = nodeType == 0 ? (ulong)_r.LengthSize : 8UL + 8UL * (ulong)(chunkRank + 1);
        c.Need((ulong)entries * (keySize + (ulong)_r.OffsetSize) + keySize, $"{entries} keys and children");
        var children = new List<ulong>(entries);
        for (int i = 0; i < entries; i++)
        {
            long keyStart = c.Position;
            c.Skip(keySize, "key");
            ulong child = c.Offset("child address");
            if (nodeType == 1 && level == 0)
            {
                CheckChunk(path, keyStart, child);
            }
            children.Add(child);
        }
        return (level, children);
    }

    private void SymbolTableNode(string path, ulong address, (long Data, ulong Size) heap)
    {
        long position = _r.Resolve(address, 8, path, "symbol table node address");
        if (++_nodes > MaxNodes)
        {
            throw _r.Fail(path, "too many symbol table nodes");
        }
        var c = _r.Cursor(position, _r.Length, path, "symbol table node");
        c.Signature("SNOD");
        c.Skip(2, "version");
        ushort count = c.U16("number of symbols");
        c.Need((ulong)count * (2UL * (ulong)_r.OffsetSize + 24), $"{count} symbol table entries");
        for (int i = 0; i < count; i++)
        {
            var (nameOffset, header, scratch) = SymbolTableEntry(c, path);
            if (nameOffset >= heap.Size)
            {
                throw _r.Fail(path, $"symbol table entry names offset {nameOffset} of a local heap of {heap.Size} bytes");
            }
            string name = _r.Cursor(heap.Data + (long)nameOffset, heap.Data + (long)heap.Size, path, "local heap").NullTerminated(false, "link name");
            if (scratch is { } s)
            {
                CheckSymbolTable(Child(path, name), s.BTree, s.Heap);
            }
            _pending.Push((Child(path, name), header));
        }
    }

    /// <summary>Checks a local heap (header and data segment) and returns where its data segment is.</summary>
    private (long Data, ulong Size) LocalHeap(string path, ulong address)
    {
        long position = _r.Resolve(address, 8, path, "local heap address");
        var c = _r.Cursor(position, _r.Length, path, "local heap");
        c.Signature("HEAP");
        c.Skip(4, "version");
        ulong size = c.Length("data segment size");
        c.Length("free list offset");
        ulong data = c.Offset("data segment address");
        // PureHDF reads the whole data segment into one array the first time it looks up a name.
        return (_r.Resolve(data, size, path, $"local heap data segment of {size} bytes at"), size);
    }

    /// <summary>
    /// A global heap collection that a variable-length string points to. PureHDF decodes all of it: the walk
    /// follows its object loop and checks that every object fits in the collection and the collection in the file.
    /// </summary>
    private void GlobalHeap(string path, ulong address)
    {
        long position = _r.Resolve(address, 16, path, "global heap collection address");
        if (!_globalHeaps.Add(position))
        {
            return;
        }
        var c = _r.Cursor(position, _r.Length, path, "global heap collection");
        c.Signature("GCOL");
        c.Skip(4, "version");
        ulong size = c.Length("collection size");
        ulong prefix = 8UL + (ulong)_r.LengthSize;
        if (size < 4096 || size > (ulong)_r.Length - (ulong)position)
        {
            throw _r.Fail(path, $"global heap collection at {address} claims {size} bytes (4096 at least, {_r.Length - position} left in the file)");
        }
        var objects = _r.Cursor(c.Position, position + (long)size, path, "global heap collection");
        ulong left = size - prefix;
        while (left > prefix)
        {
            if (objects.U16("object index") == 0)
            {
                break;
            }
            objects.Skip(6, "object header");
            ulong length = objects.Length("object size");
            ulong padded = (length + 7) / 8 * 8;
            if (length > left || prefix + padded > left)
            {
                throw _r.Fail(path, $"global heap object of {length} bytes overruns its collection at {address} ({left} bytes left)");
            }
            objects.Skip(padded, "object data");
            left -= prefix + padded;
        }
    }
}
