namespace WeightWatcher.Core.Formats.Keras;

/// <summary>The HDF5 object header message types the preflight checks (HDF5 file format specification, section IV.A.2).</summary>
internal enum Hdf5MessageType
{
    /// <summary>0x0001: the dataspace (rank and dimensions).</summary>
    Dataspace = 0x01,
    /// <summary>0x0002: link info (where a group's dense link storage lives).</summary>
    LinkInfo = 0x02,
    /// <summary>0x0003: the datatype.</summary>
    Datatype = 0x03,
    /// <summary>0x0004: fill value (old form).</summary>
    FillValueOld = 0x04,
    /// <summary>0x0005: fill value.</summary>
    FillValue = 0x05,
    /// <summary>0x0006: a link (compact link storage).</summary>
    Link = 0x06,
    /// <summary>0x0008: data layout (compact, contiguous or chunked).</summary>
    Layout = 0x08,
    /// <summary>0x000B: filter pipeline.</summary>
    FilterPipeline = 0x0B,
    /// <summary>0x000C: an attribute (compact attribute storage).</summary>
    Attribute = 0x0C,
    /// <summary>0x0010: header continuation (more messages elsewhere in the file).</summary>
    Continuation = 0x10,
    /// <summary>0x0011: symbol table (old-style groups: a B-tree and a local heap).</summary>
    SymbolTable = 0x11,
    /// <summary>0x0015: attribute info (where an object's dense attribute storage lives).</summary>
    AttributeInfo = 0x15,
}
