namespace WeightWatcher.Core.Formats.Keras;

/// <summary>
/// The object header messages whose fields PureHDF allocates from. Each is read the way PureHDF decodes it
/// (so that the walk and the library agree on where every field is) inside the message's own bounds: a
/// message PureHDF would find overrun its size is a file it refuses anyway, only after the allocation.
/// </summary>
internal sealed partial class Hdf5Preflight
{
    /// <summary>
    /// Most a chunk may expand when decompressed, relative to the whole file: deflate (the compressor h5py
    /// and PureHDF use) cannot expand data more than 1032 times.
    /// </summary>
    internal const long MaxExpansion = 1032;

    private const int MaxDatatypeDepth = 16;
    private const int MaxSharedDepth = 16;

    private readonly Dictionary<long, List<Message>> _sharedHeaders = [];

    /// <summary>What an object's messages lead to.</summary>
    private sealed class Found
    {
        public List<(ulong BTree, ulong Heap)> SymbolTables { get; } = [];
        public List<(string Name, ulong Address)> HardLinks { get; } = [];
        public (int Class, ulong Size)? Datatype { get; set; }
        public (int Version, int Class, ulong Address, ulong[] Dims)? Layout { get; set; }
    }

    /// <summary>Thrown where PureHDF itself refuses a structure (an unknown version or class) before allocating.</summary>
    private sealed class LeftToLibrary : Exception;

    private Found CheckMessages(string path, List<Message> messages, int sharedDepth = 0)
    {
        var found = new Found();
        foreach (var m in messages)
        {
            var c = _r.Cursor(m.Start, m.End, path, MessageName(m.Type));
            bool shared = (m.Flags & SharedMessageFlag) != 0 && m.Type is Hdf5MessageType.Dataspace or Hdf5MessageType.Datatype or Hdf5MessageType.FillValueOld or Hdf5MessageType.FillValue or Hdf5MessageType.FilterPipeline or Hdf5MessageType.Attribute;
            try
            {
                if (shared)
                {
                    var header = Shared(c, sharedDepth);
                    if (m.Type == Hdf5MessageType.Datatype && header is not null)
                    {
                        found.Datatype = SharedDatatype(path, header);
                    }
                    continue;
                }
                switch (m.Type)
                {
                    case Hdf5MessageType.Datatype:
                        found.Datatype = Datatype(c, 0);
                        break;
                    case Hdf5MessageType.Dataspace:
                        Dataspace(c);
                        break;
                    case Hdf5MessageType.FillValueOld:
                        c.Need(c.U32("fill value size"), "fill value");
                        break;
                    case Hdf5MessageType.FillValue:
                        FillValue(c);
                        break;
                    case Hdf5MessageType.Link:
                        Link(c, found);
                        break;
                    case Hdf5MessageType.Layout:
                        found.Layout = Layout(c);
                        break;
                    case Hdf5MessageType.Attribute:
                        Attribute(c, sharedDepth);
                        break;
                    case Hdf5MessageType.SymbolTable:
                        found.SymbolTables.Add((c.Offset("B-tree address"), c.Offset("local heap address")));
                        break;
                    case Hdf5MessageType.LinkInfo:
                    case Hdf5MessageType.AttributeInfo:
                        DenseStorage(c, m.Type == Hdf5MessageType.LinkInfo, found, sharedDepth);
                        break;
                }
            }
            catch (LeftToLibrary)
            {
                // PureHDF refuses this message before allocating anything for it: nothing to bound.
            }
        }
        if (found.Layout is { Class: 2 } layout)
        {
            CheckChunked(path, layout, found.Datatype);
        }
        return found;
    }

    private static string MessageName(Hdf5MessageType type) => type switch
    {
        Hdf5MessageType.Dataspace => "dataspace message",
        Hdf5MessageType.LinkInfo => "link info message",
        Hdf5MessageType.Datatype => "datatype message",
        Hdf5MessageType.FillValueOld or Hdf5MessageType.FillValue => "fill value message",
        Hdf5MessageType.Link => "link message",
        Hdf5MessageType.Layout => "layout message",
        Hdf5MessageType.Attribute => "attribute message",
        Hdf5MessageType.SymbolTable => "symbol table message",
        Hdf5MessageType.AttributeInfo => "attribute info message",
        _ => $"message of type {(int)type}",
    };

    /// <summary>
    /// A shared message: PureHDF decodes the whole object header it points to. Returns that header's
    /// messages (checked), or null where PureHDF does not follow the reference.
    /// </summary>
    private List<Message>? Shared(Hdf5Cursor c, int depth)
    {
        byte version = c.U8("shared message version");
        byte type = version == 3 ? c.U8("shared message type") : (byte)0;
        if (version != 3)
        {
            c.Skip(1, "shared message type");
        }
        if (version == 1)
        {
            c.Skip(6, "reserved");
        }
        if (version == 3 && type == 1)
        {
            throw new LeftToLibrary(); // shared message heap: PureHDF throws "not implemented"
        }
        ulong address = c.Offset("shared message address");
        long position = _r.Resolve(address, 1, c.ObjectPath, "shared message address");
        if (_sharedHeaders.TryGetValue(position, out var known))
        {
            return known;
        }
        if (depth >= MaxSharedDepth || !_sharedInProgress.Add(position))
        {
            throw _r.Fail(c.ObjectPath, "shared messages refer to each other in a loop (or nest too deep)");
        }
        var messages = Header(c.ObjectPath ?? "/", position);
        CheckMessages(c.ObjectPath ?? "/", messages, depth + 1);
        _sharedInProgress.Remove(position);
        _sharedHeaders[position] = messages;
        return messages;
    }

    private (int Class, ulong Size) SharedDatatype(string path, List<Message> header)
    {
        foreach (var m in header.Where(m => m.Type == Hdf5MessageType.Datatype && (m.Flags & SharedMessageFlag) == 0))
        {
            return Datatype(_r.Cursor(m.Start, m.End, path, "shared datatype message"), 0);
        }
        throw new LeftToLibrary(); // no datatype there: PureHDF fails to find the message
    }

    /// <summary>A datatype, decoded as PureHDF does; returns its class and element size.</summary>
    private (int Class, ulong Size) Datatype(Hdf5Cursor c, int depth)
    {
        if (depth > MaxDatatypeDepth)
        {
            throw _r.Fail(c.ObjectPath, $"{c.What}: datatype nests more than {MaxDatatypeDepth} deep");
        }
        byte head = c.U8("datatype class");
        int version = head >> 4, cls = head & 0x0F;
        byte b0 = c.U8("class bits"), b1 = c.U8("class bits");
        c.Skip(1, "class bits");
        ulong size = c.U32("datatype size");
        int members = b0 | (b1 << 8);
        switch (cls)
        {
            case 0 or 4: c.Skip(4, "bit offset and precision"); break;
            case 1: c.Skip(12, "floating-point properties"); break;
            case 2: c.Skip(2, "time properties"); break;
            case 3 or 7: break;
            case 5: c.Skip(b0, "opaque tag"); break;
            case 6:
                for (int i = 0; i < members; i++)
                {
                    c.NullTerminated(version < 3, "compound member name");
                    c.Skip(version switch { 1 => 32UL, 2 => 4UL, 3 => MinByteCount(size), _ => throw new LeftToLibrary() }, "member offset");
                    Datatype(c, depth + 1);
                }
                break;
            case 8:
                Datatype(c, depth + 1);
                for (int i = 0; i < members; i++)
                {
                    c.NullTerminated(version <= 2, "enumeration member name");
                }
                // PureHDF reads each member's value into an array of the datatype's size.
                c.Skip(checked((ulong)members * size), $"{members} enumeration values of {size} bytes");
                break;
            case 9: Datatype(c, depth + 1); break;
            case 10:
                byte rank = c.U8("array rank");
                c.Skip((version == 2 ? 3UL : 0) + rank * 4UL * (version == 2 ? 2UL : 1UL), "array dimensions");
                Datatype(c, depth + 1);
                break;
            default:
                throw new LeftToLibrary();
        }
        return (cls, size);
    }

    private static ulong MinByteCount(ulong value)
    {
        ulong bits = 1;
        while ((value >>= 1) != 0)
        {
            bits++;
        }
        return (bits + 7) / 8;
    }

    /// <summary>A dataspace; returns its element count (null: more than 64 bits can count).</summary>
    private ulong? Dataspace(Hdf5Cursor c)
    {
        byte version = c.U8("dataspace version");
        byte rank = c.U8("dataspace rank");
        byte flags = c.U8("dataspace flags");
        int type = rank > 0 ? 1 : 0;
        if (version == 1)
        {
            c.Skip(5, "reserved");
        }
        else
        {
            type = c.U8("dataspace type");
        }
        ulong count = 1;
        bool overflow = false;
        for (int i = 0; i < rank; i++)
        {
            ulong dim = c.Length("dimension");
            overflow |= dim != 0 && count > ulong.MaxValue / dim;
            count *= dim;
        }
        c.Skip(rank * (ulong)_r.LengthSize * (((flags & 1) != 0 ? 1UL : 0) + ((flags & 2) != 0 ? 1UL : 0)), "maximum dimensions");
        return type switch { 0 => 1, 1 => overflow ? null : count, 2 => 0, _ => throw new LeftToLibrary() };
    }

    private void FillValue(Hdf5Cursor c)
    {
        byte version = c.U8("fill value version");
        bool defined;
        if (version is 1 or 2)
        {
            c.Skip(2, "allocation and fill times");
            defined = c.U8("fill value defined") == 1;
        }
        else if (version == 3)
        {
            byte flags = c.U8("fill value flags");
            defined = (flags & 0x10) == 0 && (flags & 0x20) != 0;
        }
        else
        {
            throw new LeftToLibrary();
        }
        if (defined)
        {
            c.Need(c.U32("fill value size"), "fill value");
        }
    }

    private void Link(Hdf5Cursor c, Found found)
    {
        c.Skip(1, "link version");
        byte flags = c.U8("link flags");
        int type = (flags & 0x08) != 0 ? c.U8("link type") : 0;
        c.Skip(((flags & 0x04) != 0 ? 8UL : 0) + ((flags & 0x10) != 0 ? 1UL : 0), "creation order and encoding");
        ulong nameLength = c.UInt(1 << (flags & 3), "link name length");
        string name = c.Text(nameLength, "link name");
        switch (type)
        {
            case 0:
                found.HardLinks.Add((name, c.Offset("link target address")));
                break;
            case 1 or >= 64:
                c.Need(c.U16("link value length"), $"value of link '{name}'");
                break;
        }
    }

    private (int Version, int Class, ulong Address, ulong[] Dims) Layout(Hdf5Cursor c)
    {
        byte version = c.U8("layout version");
        if (version is 1 or 2)
        {
            byte rank = c.U8("layout rank");
            byte cls = c.U8("layout class");
            c.Skip(5, "reserved");
            ulong address = cls is 1 or 2 ? c.Offset("data address") : ulong.MaxValue;
            var dims = Enumerable.Range(0, rank).Select(_ => (ulong)c.U32("layout dimension")).ToArray();
            if (cls == 0)
            {
                c.Need(c.U32("compact data size"), "compact data");
            }
            return (version, cls, address, dims);
        }
        if (version is not (3 or 4))
        {
            throw new LeftToLibrary();
        }
        byte layoutClass = c.U8("layout class");
        switch (layoutClass)
        {
            case 0:
                c.Need(c.U16("compact data size"), "compact data");
                return (version, 0, ulong.MaxValue, []);
            case 1:
                return (version, 1, c.Offset("data address"), [c.Length("data size")]);
            case 2 when version == 3:
                byte rank = c.U8("chunk rank");
                ulong address = c.Offset("chunk index address");
                return (version, 2, address, Enumerable.Range(0, rank).Select(_ => (ulong)c.U32("chunk dimension")).ToArray());
            case 2:
                c.Skip(1, "chunk flags");
                byte rank4 = c.U8("chunk rank");
                byte width = c.U8("chunk dimension width");
                return (version, 2, ulong.MaxValue, Enumerable.Range(0, rank4).Select(_ => c.UInt(width, "chunk dimension")).ToArray());
            default:
                throw new LeftToLibrary();
        }
    }

    /// <summary>
    /// A chunked dataset: PureHDF allocates one chunk (its dimensions times the element size) per chunk read,
    /// and reads a stored chunk (the size its B-tree key gives) into a buffer of that size.
    /// </summary>
    private void CheckChunked(string path, (int Version, int Class, ulong Address, ulong[] Dims) layout, (int Class, ulong Size)? type)
    {
        if (layout.Dims.Length < 2 || type is not { } t)
        {
            return; // PureHDF cannot read it either
        }
        ulong bytes = t.Size;
        foreach (ulong d in layout.Dims[..^1])
        {
            bytes = d != 0 && bytes > ulong.MaxValue / d ? ulong.MaxValue : bytes * d;
        }
        if (bytes > (ulong)MaxExpansion * (ulong)_r.Length)
        {
            throw _r.Fail(path, $"chunks of {bytes} bytes are more than {MaxExpansion} times the file ({_r.Length} bytes) could decompress into");
        }
        if (layout.Version <= 3 && !_r.IsUndefined(layout.Address))
        {
            var visited = new HashSet<long>();
            var pending = new Stack<(ulong Address, int Level)>();
            pending.Push((layout.Address, -1));
            while (pending.Count > 0)
            {
                var (address, level) = pending.Pop();
                long position = _r.Resolve(address, 8, path, "chunk B-tree node address");
                if (!visited.Add(position) || ++_nodes > MaxNodes)
                {
                    throw _r.Fail(path, "chunk B-tree nodes form a loop");
                }
                var (nodeLevel, children) = BTreeNode(path, position, 1, level, layout.Dims.Length - 1);
                if (nodeLevel > 0)
                {
                    children.ForEach(child => pending.Push((child, nodeLevel - 1)));
                }
            }
        }
    }

    /// <summary>A chunk B-tree key (stored size first) and the chunk it points to.</summary>
    private void CheckChunk(string path, long key, ulong address)
    {
        ulong size = _r.Cursor(key, key + 4, path, "chunk B-tree key").U32("chunk size");
        _r.Resolve(address, size, path, $"chunk of {size} bytes at");
    }

    private void Attribute(Hdf5Cursor c, int sharedDepth)
    {
        byte version = c.U8("attribute version");
        byte flags = version == 1 ? (byte)0 : c.U8("attribute flags");
        if (version == 1)
        {
            c.Skip(1, "reserved");
        }
        c.U16("name size");
        ushort typeSize = c.U16("datatype size");
        ushort spaceSize = c.U16("dataspace size");
        c.Skip(version == 3 ? 1UL : 0, "name encoding");
        string name = c.NullTerminated(version == 1, "attribute name");
        var type = (flags & 1) != 0 ? SharedDatatype(c.ObjectPath ?? "/", Shared(c, sharedDepth) ?? throw new LeftToLibrary()) : Datatype(c, 0);
        c.Skip(version == 1 ? (ulong)((typeSize + 7) / 8 * 8 - typeSize) : 0, "datatype padding");
        ulong? count;
        if ((flags & 2) != 0)
        {
            var header = Shared(c, sharedDepth) ?? throw new LeftToLibrary();
            var space = header.FirstOrDefault(m => m.Type == Hdf5MessageType.Dataspace && (m.Flags & SharedMessageFlag) == 0);
            count = space.End > space.Start ? Dataspace(_r.Cursor(space.Start, space.End, c.ObjectPath, "shared dataspace message")) : throw new LeftToLibrary();
        }
        else
        {
            count = Dataspace(c);
        }
        c.Position += version == 1 ? (spaceSize + 7) / 8 * 8 - spaceSize : 0;
        if (count is null || (type.Size != 0 && count > ulong.MaxValue / type.Size) || (type.Size == 0 && count > 0))
        {
            throw _r.Fail(c.ObjectPath, $"attribute '{name}': {count?.ToString() ?? "over 2^64"} elements of {type.Size} bytes cannot be stored");
        }
        ulong bytes = count.Value * type.Size;
        c.Need(bytes, $"attribute '{name}' data ({count} elements of {type.Size} bytes)");
        if (type.Class == 9)
        {
            // Variable-length strings: each element is a global heap ID (length, collection address, index).
            ulong stride = 8UL + (ulong)_r.OffsetSize;
            for (ulong at = 0; at + stride <= bytes; at += stride)
            {
                var id = _r.Cursor(c.Position + (long)at + 4, c.End, c.ObjectPath, $"attribute '{name}'");
                ulong collection = id.Offset("global heap address");
                uint index = id.U32("global heap index");
                if (collection != 0 || index != 0)
                {
                    GlobalHeap(c.ObjectPath ?? "/", collection);
                }
            }
        }
    }
}
