namespace WeightWatcher.Core.Tests.Formats.Keras;

/// <summary>
/// The Keras fuzz tests run alone: PureHDF takes corrupt length fields at their word and allocates up to
/// 2 GB before failing, and the gen2 collections that follow pause every thread of the process, which
/// would blow the time limits of other readers' fuzz tests running beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KerasFuzzCollection
{
    public const string Name = "Keras HDF5 fuzz (process-wide GC pauses)";
}
