namespace WeightWatcher.Testing;

/// <summary>
/// One valid starting point of a fuzz run: the files of a model (written to a folder of their own),
/// which of them is mutated, the path the case opens (relative to that folder), and the length fields of
/// the mutated file (offset, width in bytes) that <see cref="ByteMutations"/> likes to break.
/// </summary>
/// <param name="Name">The seed's name, used in case labels and as its folder name.</param>
/// <param name="Files">File name to content; every file is written, only <paramref name="Target"/> is mutated.</param>
/// <param name="Target">The file each case mutates.</param>
/// <param name="OpenPath">What a case opens, relative to the seed's folder (a file, or "." for the folder).</param>
/// <param name="LengthFields">Offsets and widths of length fields in <paramref name="Target"/>.</param>
public sealed record FuzzSeed(string Name, IReadOnlyDictionary<string, byte[]> Files, string Target, string OpenPath, IReadOnlyList<(int Offset, int Width)> LengthFields)
{
    /// <summary>A seed of one file, opened directly.</summary>
    /// <param name="name">The seed's name.</param>
    /// <param name="fileName">The file's name.</param>
    /// <param name="bytes">The file's content.</param>
    /// <param name="lengthFields">Offsets and widths of its length fields (none when null).</param>
    public static FuzzSeed SingleFile(string name, string fileName, byte[] bytes, IReadOnlyList<(int Offset, int Width)>? lengthFields = null) =>
        new(name, new Dictionary<string, byte[]> { [fileName] = bytes }, fileName, fileName, lengthFields ?? []);
}

/// <summary>Makes one mutated copy of a seed's target file and describes what was changed.</summary>
/// <param name="original">The target file's valid content.</param>
/// <param name="seed">The seed (for its length fields).</param>
/// <param name="random">The run's deterministic random source.</param>
public delegate (byte[] Bytes, string What) Mutator(byte[] original, FuzzSeed seed, Random random);
