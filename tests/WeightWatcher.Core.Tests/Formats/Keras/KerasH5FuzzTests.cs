using PureHDF;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Layers;
using F = WeightWatcher.Core.Tests.Formats.Keras.KerasH5Fixtures;

namespace WeightWatcher.Core.Tests.Formats.Keras;

/// <summary>
/// A thousand mutated or truncated versions of a small valid Keras file (written by PureHDF, by h5py, and
/// by h5py in its newest format with dense link and attribute storage): opening, listing layers and reading every tensor may only succeed or throw
/// <see cref="ModelFormatException"/>, each case within 2 s and allocating less than 16 MB (<see cref="FormatFuzzer"/>).
/// </summary>
[Collection(KerasFuzzCollection.Name)]
public sealed class KerasH5FuzzTests(ITestOutputHelper output)
{
    private const int Cases = 1000;

    /// <summary>
    /// Most a case may allocate on its thread. The seeds are 7 to 107 KB; before the metadata was checked
    /// ahead of PureHDF (<see cref="WeightWatcher.Core.Formats.Keras.KerasH5Reader"/>), a corrupt length
    /// field made it allocate up to 2 GB.
    /// </summary>
    private const long AllocationBound = 16L << 20;

    private static byte[] SmallModel(TempDir dir)
    {
        string path = dir.File("seed.h5");
        new H5File
        {
            Attributes = new()
            {
                ["keras_version"] = "2.13.1",
                ["model_config"] = """{"class_name": "Sequential", "config": {"layers": [{"class_name": "Conv2D", "config": {"name": "c"}}, {"class_name": "Dense", "config": {"name": "d"}}]}}""",
            },
            ["model_weights"] = new H5Group
            {
                Attributes = new() { ["layer_names"] = new[] { "c", "d" } },
                ["c"] = new H5Group
                {
                    Attributes = new() { ["weight_names"] = new[] { "c/kernel:0", "c/bias:0" } },
                    ["c"] = new H5Group { ["kernel:0"] = F.Data(F.Values(5, 3 * 3 * 2 * 12), 3, 3, 2, 12), ["bias:0"] = F.Data(F.Values(6, 12), 12) },
                },
                ["d"] = new H5Group
                {
                    Attributes = new() { ["weight_names"] = new[] { "d/kernel:0" } },
                    ["d"] = new H5Group { ["kernel:0"] = F.Data(F.Values(7, 24 * 12).Select(v => (Half)v).ToArray(), 24, 12) },
                },
            },
        }.Write(path, F.Options);
        return File.ReadAllBytes(path);
    }

    /// <summary>What an analysis does with a file, short of the spectral work.</summary>
    private static void Exercise(string path)
    {
        using var reader = ModelOpener.Open(path);
        _ = LayerEnumerator.EnumerateAll(reader);
        _ = Analyzer.Describe(reader, new AnalysisOptions());
        foreach (var t in reader.Tensors)
        {
            if (t.ElementCount <= 1 << 20)
            {
                reader.ReadTensor(t);
            }
        }
    }

    [Theory]
    [InlineData("purehdf")]
    [InlineData("keras2_h5py.h5")]
    [InlineData("keras3_h5py_latest.weights.h5")]
    public async Task Mutated_and_truncated_files_fail_only_with_ModelFormatException_and_never_hang(string seedName)
    {
        using var dir = new TempDir();
        byte[] seed = seedName == "purehdf" ? SmallModel(dir) : File.ReadAllBytes(KerasH5BoundedAllocationTests.Fixture(seedName));
        var report = await FormatFuzzer.RunAsync(dir.File("cases"), [FuzzSeed.SingleFile(seedName, "case.h5", seed)], new FuzzOptions
        {
            Exercise = Exercise,
            Mutate = (original, _, random) => Mutate(original, random),
            CasesPerSeed = Cases,
            RandomSeed = 20261129,
            SeedsMustBeValid = true,
            MaxCaseAllocation = AllocationBound,
            RunTimeout = TimeSpan.FromMinutes(3),
        });
        output.WriteLine($"{seedName} ({seed.Length} bytes): {report}");
        report.AssertNoProblems();
        report.AssertExercised(Cases, minRejected: 0.1, minAccepted: 0);
    }

    private static (byte[] Bytes, string What) Mutate(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        int kind = random.Next(10);
        if (kind < 3)
        {
            int length = random.Next(0, seed.Length);
            return (bytes[..length], $"truncated to {length}");
        }
        if (kind < 8)
        {
            int flips = random.Next(1, 5);
            var at = new List<int>();
            for (int i = 0; i < flips; i++)
            {
                int p = random.Next(8, bytes.Length); // keep the signature so that the HDF5 parser is reached
                bytes[p] ^= (byte)(1 << random.Next(8));
                at.Add(p);
            }
            return (bytes, $"bit flips at {string.Join(",", at)}");
        }
        int word = random.Next(1, bytes.Length / 8) * 8;
        ulong value = random.Next(3) switch
        {
            0 => ulong.MaxValue,
            1 => (ulong)random.NextInt64(),
            _ => 0,
        };
        BitConverter.TryWriteBytes(bytes.AsSpan(word, Math.Min(8, bytes.Length - word)), value);
        return (bytes, $"word at {word} set to {value:X}");
    }
}
