using System.Diagnostics;
using PureHDF;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Tests.Support;
using F = WeightWatcher.Core.Tests.Formats.Keras.KerasH5Fixtures;

namespace WeightWatcher.Core.Tests.Formats.Keras;

/// <summary>
/// A thousand mutated or truncated versions of a small valid Keras file (written by PureHDF, by h5py, and
/// by h5py in its newest format with dense link and attribute storage): opening, listing layers and reading every tensor may only succeed or throw
/// <see cref="ModelFormatException"/>, each case within 2 s and allocating less than 16 MB.
/// </summary>
[Collection(KerasFuzzCollection.Name)]
public sealed class KerasH5FuzzTests(ITestOutputHelper output)
{
    private const int Cases = 1000;
    private static readonly TimeSpan PerCaseLimit = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

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
        string seedPath = dir.File("seed.h5");
        File.WriteAllBytes(seedPath, seed);
        Exercise(seedPath); // the unmutated file is valid

        var random = new Random(20261129);
        int opened = 0, formatErrors = 0;
        var failures = new List<string>();
        var slow = new List<(int Case, string What, byte[] Bytes, TimeSpan First)>();
        var slowest = TimeSpan.Zero;
        long maxAllocated = 0;
        var watch = Stopwatch.StartNew();
        string path = dir.File("case.h5");
        for (int c = 0; c < Cases; c++)
        {
            var (bytes, what) = Mutate(seed, random);
            var (elapsed, error, hung, allocated) = await Run(path, bytes);
            maxAllocated = Math.Max(maxAllocated, allocated);
            if (allocated >= AllocationBound)
            {
                failures.Add($"case {c} ({what}): allocated {allocated >> 20} MB");
            }
            if (hung)
            {
                failures.Add($"case {c} ({what}): no answer after {elapsed.TotalSeconds:F1} s (hang)");
                break; // the hung task still holds the file
            }
            slowest = elapsed > slowest ? elapsed : slowest;
            if (elapsed > PerCaseLimit)
            {
                slow.Add((c, what, bytes, elapsed));
            }
            switch (error)
            {
                case null:
                    opened++;
                    break;
                case ModelFormatException e:
                    formatErrors++;
                    Assert.Equal(path, e.File);
                    break;
                default:
                    failures.Add($"case {c} ({what}): {error.GetType().Name}: {error.Message}");
                    break;
            }
        }
        // A case over the limit is timed again after a collection (this machine is shared), and fails if slow twice.
        int slowTwice = 0;
        foreach (var (c, what, bytes, first) in slow)
        {
            GC.Collect();
            var (again, _, hung, _) = await Run(path, bytes);
            if (hung || again > PerCaseLimit)
            {
                slowTwice++;
                failures.Add($"case {c} ({what}): took {first.TotalSeconds:F2} s, then {again.TotalSeconds:F2} s");
            }
        }
        output.WriteLine($"{seedName} ({seed.Length} bytes), {Cases} cases in {watch.Elapsed.TotalSeconds:F1} s: {opened} read without error, " +
            $"{formatErrors} ModelFormatException, slowest {slowest.TotalMilliseconds:F0} ms, {slow.Count} over {PerCaseLimit.TotalSeconds} s once ({slowTwice} twice), " +
            $"largest allocation {maxAllocated / 1024.0:F0} KB (bound {AllocationBound >> 20} MB), {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.True(formatErrors > Cases / 10, $"only {formatErrors} of {Cases} mutations were detected: the mutator is too weak");
    }

    /// <summary>
    /// Runs one case; a case without an answer after 30 s is reported as hung. Also returns the bytes the
    /// case allocated (on its thread), which must stay under <see cref="AllocationBound"/>.
    /// </summary>
    private static async Task<(TimeSpan Elapsed, Exception? Error, bool Hung, long Allocated)> Run(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        var watch = Stopwatch.StartNew();
        var task = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Exception? error = null;
            try
            {
                Exercise(path);
            }
            catch (Exception e)
            {
                error = e;
            }
            return (error, GC.GetAllocatedBytesForCurrentThread() - before);
        });
        bool finished = await Task.WhenAny(task, Task.Delay(HangLimit, TestContext.Current.CancellationToken)) == task;
        watch.Stop();
        return finished ? (watch.Elapsed, task.Result.error, false, task.Result.Item2) : (watch.Elapsed, null, true, 0);
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
