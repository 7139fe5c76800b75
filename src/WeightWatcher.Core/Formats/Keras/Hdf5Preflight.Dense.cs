namespace WeightWatcher.Core.Formats.Keras;

/// <summary>
/// Dense link and attribute storage (HDF5 1.8 format, written by h5py with <c>libver="latest"</c> for groups
/// of many links): the messages live in a fractal heap, found through a version 2 B-tree indexing their
/// names. PureHDF allocates each node's records from counts the tree gives, a row table from the heap's
/// sizes, and decodes each message at the heap address its ID resolves to without bounding it by the
/// object's length; the walk below resolves the same addresses (mirroring PureHDF's doubling-table lookup)
/// and checks each message inside its object.
/// </summary>
internal sealed partial class Hdf5Preflight
{
    private sealed record FractalHeap(
        long Position, int IdLength, bool Filtered, bool ChecksummedBlocks, ulong StartingBlockSize, ulong MaxDirectBlockSize,
        int MaxHeapBits, int TableWidth, ulong RootAddress, int RootRows, ulong HugeBTree, int FirstRowBits, int MaxDirectRows);

    /// <summary>Link info or attribute info with dense storage: checks every message the name index reaches.</summary>
    private void DenseStorage(Hdf5Cursor c, bool links, Found found, int sharedDepth)
    {
        c.Skip(1, "version");
        byte flags = c.U8("creation order flags");
        c.Skip((flags & 1) != 0 ? (links ? 8UL : 2UL) : 0, "maximum creation index");
        ulong heapAddress = c.Offset("fractal heap address");
        ulong index = c.Offset("name index address");
        if (_r.IsUndefined(index))
        {
            return; // compact storage: PureHDF reads the messages in the object header
        }
        string path = c.ObjectPath ?? "/";
        var heap = Heap(path, heapAddress);
        Dictionary<ulong, (ulong Address, ulong Length)>? huge = null;
        foreach (long record in BTree2(path, index, links ? 5 : 8, links ? 11 : 17))
        {
            long id = links ? record + 4 : record;
            var (start, length) = HeapObject(path, heap, id, links ? 7 : 8, ref huge);
            var m = _r.Cursor(start, start + (long)length, path, links ? "dense link" : "dense attribute");
            if (links)
            {
                Link(m, found);
            }
            else
            {
                Attribute(m, sharedDepth);
            }
        }
    }

    private FractalHeap Heap(string path, ulong address)
    {
        long position = _r.Resolve(address, 4, path, "fractal heap address");
        var c = _r.Cursor(position, _r.Length, path, "fractal heap header");
        c.Signature("FRHP");
        c.Skip(1, "version");
        int idLength = c.U16("heap ID length");
        bool filtered = c.U16("I/O filter length") > 0;
        byte flags = c.U8("flags");
        c.Skip(4 + (ulong)_r.LengthSize, "managed object size and huge ID");
        ulong hugeBTree = c.Offset("huge objects B-tree address");
        c.Skip((ulong)_r.LengthSize + (ulong)_r.OffsetSize + 8UL * (ulong)_r.LengthSize, "space accounting");
        int width = c.U16("table width");
        ulong starting = c.Length("starting block size");
        ulong maxDirect = c.Length("maximum direct block size");
        int maxHeapBits = c.U16("maximum heap size");
        c.Skip(2, "starting rows");
        ulong root = c.Offset("root block address");
        int rootRows = c.U16("root indirect block rows");
        // PureHDF sizes its row table from these before using them: they must make a doubling table.
        int startingBits = Log2(starting), firstRowBits = startingBits + Log2((ulong)width), directBits = Log2(maxDirect);
        if (startingBits < 0 || width == 0 || Log2((ulong)width) < 0 || directBits < startingBits || maxHeapBits > 64 || maxHeapBits <= firstRowBits
            || rootRows > maxHeapBits - firstRowBits)
        {
            throw _r.Fail(path, $"fractal heap at {address}: table width {width}, blocks of {starting} to {maxDirect} bytes, heap of 2^{maxHeapBits} bytes do not form a doubling table in a file of {_r.Length} bytes");
        }
        return new FractalHeap(position, idLength, filtered, (flags & 2) != 0, starting, maxDirect, maxHeapBits, width, root, rootRows,
            hugeBTree, firstRowBits, directBits - startingBits + 2);
    }

    /// <summary>log2 of a power of two; -1 for anything else.</summary>
    private static int Log2(ulong value) => value != 0 && (value & (value - 1)) == 0 ? System.Numerics.BitOperations.Log2(value) : -1;

    private ulong RowBlockSize(FractalHeap h, int row) => row == 0 ? h.StartingBlockSize : h.StartingBlockSize << (row - 1);

    /// <summary>Where the object a heap ID (at file position <paramref name="id"/>) names lies in the file.</summary>
    private (long Start, ulong Length) HeapObject(string path, FractalHeap h, long id, int idLength, ref Dictionary<ulong, (ulong, ulong)>? huge)
    {
        var c = _r.Cursor(id, id + idLength, path, "fractal heap ID");
        byte head = c.U8("heap ID flags");
        int type = (head & 0x30) >> 4;
        if ((head & 0xC0) != 0 || h.Filtered && type == 1)
        {
            throw new LeftToLibrary(); // PureHDF refuses other ID versions and filtered huge objects
        }
        if (type == 2 || type == 3)
        {
            // PureHDF decodes a tiny object's message from the file position it happens to be at, not from
            // the ID; and no link or attribute message fits in a 7- or 8-byte ID anyway.
            throw _r.Fail(path, "dense storage holds a tiny heap object, too small for a link or attribute message");
        }
        if (type == 1)
        {
            return HugeObject(path, h, c, ref huge);
        }
        ulong offset = c.UInt((h.MaxHeapBits + 7) / 8, "heap offset");
        ulong length = c.UInt((int)MinByteCount(h.MaxDirectBlockSize - 1), "object length");
        var (block, size) = DirectBlock(path, h, offset);
        var b = _r.Cursor(block, block + (long)size, path, "fractal heap direct block");
        b.Signature("FHDB");
        b.Skip(1 + (ulong)_r.OffsetSize, "version and heap address");
        ulong blockOffset = b.UInt((h.MaxHeapBits + 7) / 8, "block offset");
        ulong header = (ulong)(b.Position - block) + (h.ChecksummedBlocks ? 4UL : 0);
        if (offset < blockOffset || offset - blockOffset < header || offset - blockOffset >= size || length > size - (offset - blockOffset))
        {
            throw _r.Fail(path, $"heap object of {length} bytes at heap offset {offset} is not inside its direct block ({size} bytes from heap offset {blockOffset})");
        }
        return (block + (long)(offset - blockOffset), length);
    }

    private (long Start, ulong Length) HugeObject(string path, FractalHeap h, Hdf5Cursor id, ref Dictionary<ulong, (ulong, ulong)>? huge)
    {
        ulong address, length;
        if (h.IdLength - 1 >= _r.OffsetSize + _r.LengthSize)
        {
            (address, length) = (id.Offset("huge object address"), id.Length("huge object length"));
        }
        else
        {
            ulong key = id.UInt(Math.Min(8, h.IdLength - 1), "huge object ID");
            if (huge is null)
            {
                huge = [];
                foreach (long r in BTree2(path, h.HugeBTree, 1, 2 * _r.LengthSize + _r.OffsetSize))
                {
                    var rc = _r.Cursor(r, r + 2 * _r.LengthSize + _r.OffsetSize, path, "huge object record");
                    var (a, l) = (rc.Offset("huge object address"), rc.Length("huge object length"));
                    huge.TryAdd(rc.Length("huge object ID"), (a, l));
                }
            }
            // PureHDF reads a missing ID's object at address 0 (the superblock): refuse it instead.
            (address, length) = huge.TryGetValue(key, out var found) ? found : throw _r.Fail(path, $"huge heap object {key} is not in its B-tree");
        }
        return (_r.Resolve(address, length, path, $"huge heap object of {length} bytes at"), length);
    }

    /// <summary>The direct block holding heap offset <paramref name="offset"/>: PureHDF's lookup, bounded.</summary>
    private (long Position, ulong Size) DirectBlock(string path, FractalHeap h, ulong offset)
    {
        if (h.RootRows == 0)
        {
            return (_r.Resolve(h.RootAddress, h.StartingBlockSize, path, "root direct block address"), h.StartingBlockSize);
        }
        var (row, column) = Lookup(h, offset);
        ulong address = h.RootAddress;
        int rows = h.RootRows;
        for (int depth = 0; ; depth++)
        {
            long position = _r.Resolve(address, 4, path, "fractal heap indirect block address");
            var c = _r.Cursor(position, _r.Length, path, "fractal heap indirect block");
            c.Signature("FHIB");
            c.Skip(1 + (ulong)_r.OffsetSize + (ulong)(h.MaxHeapBits + 7) / 8, "version, heap address and block offset");
            ulong entry = (ulong)_r.OffsetSize + (h.Filtered ? (ulong)_r.LengthSize + 4 : 0);
            c.Need((ulong)rows * (ulong)h.TableWidth * entry, $"{rows} rows of {h.TableWidth} entries");
            if (row >= rows || column >= h.TableWidth || depth > 64)
            {
                throw _r.Fail(path, $"heap offset {offset} falls outside its indirect block ({rows} rows)");
            }
            // Entries of direct rows carry a filtered size and mask in a filtered heap; indirect rows do not.
            int index = row * h.TableWidth + column;
            int direct = Math.Min(index, h.MaxDirectRows * h.TableWidth);
            c.Skip((ulong)direct * entry + (ulong)(index - direct) * (ulong)_r.OffsetSize, "entries");
            address = c.Offset("child block address");
            ulong size = RowBlockSize(h, row);
            if (row < h.MaxDirectRows)
            {
                return (_r.Resolve(address, size, path, $"direct block of {size} bytes at"), size);
            }
            int childRows = Log2(size) - h.FirstRowBits + 1;
            if (childRows >= rows)
            {
                throw _r.Fail(path, "a fractal heap indirect block is not smaller than its parent");
            }
            rows = childRows;
            // PureHDF looks the offset up again relative to the child block's own offset field.
            var child = _r.Cursor(_r.Resolve(address, 4, path, "fractal heap indirect block address"), _r.Length, path, "fractal heap indirect block");
            child.Skip(5 + (ulong)_r.OffsetSize, "child block prefix");
            ulong childOffset = child.UInt((h.MaxHeapBits + 7) / 8, "block offset");
            (row, column) = offset >= childOffset ? Lookup(h, offset - childOffset) : throw _r.Fail(path, $"heap offset {offset} is before its indirect block ({childOffset})");
        }
    }

    private (int Row, int Column) Lookup(FractalHeap h, ulong offset)
    {
        if (offset < h.StartingBlockSize * (ulong)h.TableWidth)
        {
            return (0, (int)(offset / h.StartingBlockSize));
        }
        int bits = System.Numerics.BitOperations.Log2(offset);
        int row = bits - h.FirstRowBits + 1;
        if (row <= 0 || row >= h.MaxHeapBits - h.FirstRowBits)
        {
            return (int.MaxValue, 0); // beyond the heap's row table: refused by the caller
        }
        return (row, (int)Math.Min(int.MaxValue, (offset - (1UL << bits)) / RowBlockSize(h, row)));
    }

    /// <summary>
    /// The file positions of the records of a version 2 B-tree of <paramref name="type"/>, whose records
    /// PureHDF decodes as <paramref name="recordSize"/> bytes. Record counts must fit their nodes.
    /// </summary>
    private List<long> BTree2(string path, ulong address, int type, int recordSize)
    {
        long position = _r.Resolve(address, 4, path, "B-tree (v2) address");
        var c = _r.Cursor(position, _r.Length, path, "B-tree (v2) header");
        c.Signature("BTHD");
        c.Skip(1, "version");
        int actualType = c.U8("type");
        uint nodeSize = c.U32("node size");
        int size = c.U16("record size");
        int depth = c.U16("depth");
        c.Skip(2, "split and merge percents");
        ulong root = c.Offset("root node address");
        ulong rootRecords = c.U16("root record count");
        if (actualType != type || size != recordSize || nodeSize < 10 || nodeSize > _r.Length || depth > 64)
        {
            throw _r.Fail(path, $"B-tree (v2) of type {actualType}, records of {size} bytes, nodes of {nodeSize} bytes, depth {depth} (type {type}, {recordSize}-byte records expected, in a file of {_r.Length} bytes)");
        }
        // The widths PureHDF gives the record counts of child pointers (its own formula, mirrored).
        uint maxRecords = (nodeSize - 10) / (uint)size;
        int countWidth = (int)MinByteCount(maxRecords);
        var totalWidths = new int[depth + 1];
        ulong previousMax = maxRecords;
        for (int i = 1; i <= depth; i++)
        {
            uint pointer = (uint)(_r.OffsetSize + countWidth + totalWidths[i - 1]);
            if (nodeSize < 10 + pointer)
            {
                throw _r.Fail(path, $"B-tree (v2) nodes of {nodeSize} bytes cannot hold a child pointer");
            }
            ulong records = (nodeSize - (10 + pointer)) / (uint)size + pointer;
            totalWidths[i] = (int)MinByteCount((records + 1) * previousMax + records);
            previousMax = records;
        }
        var found = new List<long>();
        var visited = new HashSet<long>();
        var pending = new Stack<(ulong Address, ulong Records, int Level)>();
        if (!_r.IsUndefined(root))
        {
            pending.Push((root, rootRecords, depth));
        }
        while (pending.Count > 0)
        {
            var (node, records, level) = pending.Pop();
            long at = _r.Resolve(node, nodeSize, path, "B-tree (v2) node address");
            if (!visited.Add(at) || ++_nodes > MaxNodes)
            {
                throw _r.Fail(path, "B-tree (v2) nodes form a loop");
            }
            var n = _r.Cursor(at, at + nodeSize, path, "B-tree (v2) node");
            n.Signature(level > 0 ? "BTIN" : "BTLF");
            n.Skip(2, "version and type");
            n.Need(records * (ulong)size, $"{records} records");
            for (ulong i = 0; i < records; i++)
            {
                found.Add(n.Position);
                n.Position += size;
            }
            for (ulong i = 0; level > 0 && i <= records; i++)
            {
                ulong child = n.Offset("child address");
                ulong count = n.UInt(countWidth, "child record count");
                n.Skip(level > 1 ? (ulong)totalWidths[level - 1] : 0, "child total record count");
                pending.Push((child, count, level - 1));
            }
        }
        return found;
    }
}
