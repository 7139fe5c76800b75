using System.Buffers.Binary;
using System.Diagnostics;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Formats.PyTorch;

/// <summary>
/// Mutation fuzzing of the PyTorch readers: thousands of damaged zip (stored and deflated) and legacy files
/// are opened and every tensor read. Only <see cref="ModelFormatException"/> may escape, each case must
/// finish within 2 s (a watchdog fails the test on a hang) and allocate a bounded amount.
/// </summary>
public sealed class PyTorchFuzzTests : IDisposable
{
    private const int CasesPerSeed = 1000;
    private const int Seed = 1_950_868;
    private const long MaxCaseMilliseconds = 2000;
    private const long MaxCaseAllocation = 64L << 20;

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
        var fields = new List<(int, int)>();
        for (int i = 0; i + 4 <= bytes.Length; i++)
        {
            uint sig = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i));
            if (sig == 0x04034b50 && i + 30 <= bytes.Length)
            {
                fields.AddRange([(i + 18, 4), (i + 22, 4), (i + 26, 2), (i + 28, 2)]);
            }
            else if (sig == 0x02014b50 && i + 46 <= bytes.Length)
            {
                fields.AddRange([(i + 20, 4), (i + 24, 4), (i + 28, 2), (i + 30, 2), (i + 42, 4)]);
            }
            else if (sig == 0x06054b50 && i + 22 <= bytes.Length)
            {
                fields.AddRange([(i + 8, 2), (i + 10, 2), (i + 12, 4), (i + 16, 4)]);
            }
            else if (bytes[i] == (byte)'X' && i + 5 <= bytes.Length && BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i + 1)) < 64)
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

    private sealed class FuzzStats
    {
        public int Cases;
        public int Rejected;
        public int Accepted;
    }

    /// <summary>Runs the mutation loop on its own thread (so that a hang fails the test) and asserts no bad outcome.</summary>
    private async Task<FuzzStats> Fuzz(List<(string Name, byte[] Bytes)> seeds, int casesPerSeed, int timeoutSeconds)
    {
        var stats = new FuzzStats();
        long longest = 0, mostAllocated = 0;
        string longestCase = "", current = "";
        var problems = new List<string>();
        var ct = TestContext.Current.CancellationToken;
        var total = Stopwatch.StartNew();
        var run = Task.Factory.StartNew(() =>
        {
            for (int s = 0; s < seeds.Count; s++)
            {
                var (name, original) = seeds[s];
                var fields = LengthFields(original);
                var rng = new Random(Seed + s);
                string path = _dir.File(name);
                for (int i = 0; i < casesPerSeed; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    var mutated = FuzzSeeds.Mutate(original, fields, rng, out string what);
                    File.WriteAllBytes(path, mutated);
                    string label = $"{name} #{i}: {what}";
                    current = label;
                    stats.Cases++;
                    long allocated = GC.GetAllocatedBytesForCurrentThread();
                    var watch = Stopwatch.StartNew();
                    try
                    {
                        ModelFiles.OpenAndReadAll(path);
                        stats.Accepted++;
                    }
                    catch (ModelFormatException e)
                    {
                        stats.Rejected++;
                        if (!e.Message.Contains(path, StringComparison.Ordinal) || e.Reason.Length == 0)
                        {
                            problems.Add($"{label}: message does not name the file and a reason: {e.Message}");
                        }
                    }
                    catch (Exception e)
                    {
                        problems.Add($"{label}: {e.GetType().FullName}: {e.Message}\n{e.StackTrace}");
                    }
                    watch.Stop();
                    allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                    if (watch.ElapsedMilliseconds > longest)
                    {
                        longest = watch.ElapsedMilliseconds;
                        longestCase = label;
                    }
                    mostAllocated = Math.Max(mostAllocated, allocated);
                    if (watch.ElapsedMilliseconds > MaxCaseMilliseconds)
                    {
                        problems.Add($"{label}: took {watch.ElapsedMilliseconds} ms");
                    }
                    if (allocated > MaxCaseAllocation)
                    {
                        problems.Add($"{label}: allocated {allocated >> 20} MiB");
                    }
                }
            }
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            await run.WaitAsync(TimeSpan.FromSeconds(timeoutSeconds), ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"fuzz did not finish: stuck in case {current}");
        }
        TestContext.Current.SendDiagnosticMessage(
            $"pytorch fuzz ({string.Join(", ", seeds.Select(x => x.Name))}): {stats.Cases} cases, {stats.Rejected} rejected, {stats.Accepted} accepted, longest {longest} ms ({longestCase}), " +
            $"most allocated {mostAllocated / 1024} KiB, total {total.ElapsedMilliseconds} ms");
        Assert.True(problems.Count == 0, $"{problems.Count} bad outcomes, first ones:\n" + string.Join("\n", problems.Take(20)));
        Assert.True(longest <= MaxCaseMilliseconds);
        return stats;
    }
}
