using System.Buffers.Binary;
using WeightWatcher.Core.Formats;

namespace WeightWatcher.Core.Tests.Formats.PyTorch;

/// <summary>
/// Mutation fuzzing (<see cref="FormatFuzzer"/>) of the PyTorch readers: thousands of damaged zip (stored and deflated) and legacy files
/// are opened and every tensor read. Only <see cref="ModelFormatException"/> may escape, each case must
/// finish within 2 s (a watchdog fails the test on a hang) and allocate a bounded amount.
/// </summary>
public sealed class PyTorchFuzzTests : IDisposable
{
    private const int CasesPerSeed = 1000;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<TorchTensorSpec> Specs()
    {
        var shared = TorchStorage.F32("5", ModelFiles.Values(30, 3));
        return
        [
            new("a.weight", TorchStorage.F32("0", ModelFiles.Values(12, 1)), [3, 4]),
            new("a.bias", TorchStorage.F16("1", ModelFiles.Values(3, 2)), [3]),
            new("b.weight", TorchStorage.BF16("2", ModelFiles.Values(6, 4)), [2, 3]),
            new("c.num_batches_tracked", TorchStorage.I64("3", 7), []),
            new("t.weight", shared, [4, 3], [1, 4], 0),
            new("s.weight", shared, [2, 3], null, 12),
        ];
    }

    /// <summary>Zip size/offset fields and pickle BINUNICODE lengths: the fields a mutation most likely breaks.</summary>
    private static List<(int, int)> LengthFields(byte[] bytes)
    {
        var fields = ByteMutations.ZipLengthFields(bytes);
        for (int i = 0; i + 4 <= bytes.Length; i++)
        {
            if (bytes[i] == (byte)'X' && i + 5 <= bytes.Length && BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i + 1)) < 64)
            {
                fields.Add((i + 1, 4));
            }
        }
        return fields;
    }

    [Fact]
    public async Task Mutated_pytorch_files_are_read_or_refused_with_ModelFormatException_only()
    {
        var seeds = new List<(string Name, byte[] Bytes)>
        {
            ("zip-stored.pt", TorchFiles.ZipStateDict(Specs())),
            ("zip-deflated.pt", TorchFiles.ZipStateDict(Specs(), deflate: true)),
            ("legacy.th", TorchFiles.LegacyStateDict(Specs(), wrapperKey: "state_dict")),
        };
        foreach (var (name, bytes) in seeds)
        {
            string path = _dir.File("ok-" + name);
            File.WriteAllBytes(path, bytes);
            Assert.Equal(6, ModelFiles.OpenAndReadAll(path));
        }
        var stats = await Fuzz(seeds, CasesPerSeed, 120);
        Assert.Equal(seeds.Count * CasesPerSeed, stats.Cases);
        Assert.True(stats.Rejected > stats.Cases / 10 && stats.Accepted > stats.Cases / 50, $"rejected {stats.Rejected}, accepted {stats.Accepted}");
    }

    [Fact]
    public async Task Mutated_real_resnet20_zip_and_legacy_files_are_read_or_refused_with_ModelFormatException_only()
    {
        string dir = Path.Combine("zoo", "cifar10-resnet");
        var seeds = new List<(string Name, byte[] Bytes)>
        {
            ("resnet20-statedict.pt", File.ReadAllBytes(SharedFolder.Require(Path.Combine(dir, "resnet20-statedict.pt")))),
            ("resnet20-12fca82f.th", File.ReadAllBytes(SharedFolder.Require(Path.Combine(dir, "resnet20-12fca82f.th")))),
        };
        var stats = await Fuzz(seeds, 150, 240);
        Assert.Equal(300, stats.Cases);
        Assert.True(stats.Rejected > 20 && stats.Accepted > 20, $"rejected {stats.Rejected}, accepted {stats.Accepted}");
    }

    /// <summary>Runs the shared fuzzer on single-file seeds and asserts no bad outcome.</summary>
    private async Task<FuzzReport> Fuzz(List<(string Name, byte[] Bytes)> seeds, int casesPerSeed, int timeoutSeconds)
    {
        var report = await FormatFuzzer.RunAsync(_dir.Path, [.. seeds.Select(s => FuzzSeed.SingleFile(s.Name, s.Name, s.Bytes, LengthFields(s.Bytes)))], new FuzzOptions
        {
            Exercise = path => ModelFiles.OpenAndReadAll(path),
            CasesPerSeed = casesPerSeed,
            RandomSeed = 1_950_868,
            MaxCaseAllocation = 64L << 20,
            RunTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        });
        report.AssertNoProblems();
        return report;
    }
}
