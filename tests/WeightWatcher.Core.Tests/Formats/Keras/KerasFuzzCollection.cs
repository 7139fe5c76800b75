namespace WeightWatcher.Core.Tests.Formats.Keras;

/// <summary>
/// The Keras fuzz tests run alone. They were put apart because PureHDF used to allocate up to 2 GB for a
/// corrupt length field, and the gen2 collections that followed paused every thread of the process. Since
/// the metadata is checked before PureHDF parses it (Hdf5Preflight), a case allocates under 1 MB and that
/// reason is gone; the collection is kept only so that the 2 s per-case limit is measured without other
/// tests competing for this 2-core machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KerasFuzzCollection
{
    public const string Name = "Keras HDF5 fuzz (timed per case)";
}
