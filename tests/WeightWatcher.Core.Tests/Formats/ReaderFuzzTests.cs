using System.Diagnostics;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Formats;

/// <summary>
/// Mutation fuzzing of the model readers: thousands of damaged safetensors, npy, npz and sharded-index
/// files (deterministic seed) are opened and every tensor read. The only exception allowed is
/// <see cref="ModelFormatException"/> naming a file of the model; no case may hang (over 2 s) or
/// allocate absurd memory.
/// </summary>
public sealed class ReaderFuzzTests : IDisposable
{
    private const int CasesPerSeed = 500;
    private const int Seed = 20240611;
    private const long MaxCaseMilliseconds = 2000;
    private const long MaxCaseAllocation = 64L << 20;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class Stats
    {
        public int Cases;
        public int Rejected;
        public int Accepted;
        public long LongestMs;
        public string LongestCase = "";
        public long MostAllocated;
        public volatile string Current = "";
        public readonly List<string> Problems = [];
        public readonly Dictionary<string, (int Rejected, int Accepted)> PerSeed = new(StringComparer.Ordinal);
    }

    [Fact]
    public async Task Mutated_model_files_are_read_or_refused_with_ModelFormatException_only()
    {
        var seeds = FuzzSeeds.Build();
        var stats = new Stats();
        var ct = TestContext.Current.CancellationToken;
        var total = Stopwatch.StartNew();
        // The loop runs on its own thread so that a real hang fails the test instead of stalling the run.
        var run = Task.Factory.StartNew(() => Run(seeds, stats, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            await run.WaitAsync(TimeSpan.FromSeconds(120), ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"fuzz did not finish: stuck in case {stats.Current}");
        }
        total.Stop();

        string perSeed = string.Join("; ", stats.PerSeed.Select(kv => $"{kv.Key} {kv.Value.Rejected}/{kv.Value.Accepted}"));
        TestContext.Current.SendDiagnosticMessage(
            $"reader fuzz: {stats.Cases} cases, {stats.Rejected} rejected, {stats.Accepted} accepted, " +
            $"longest case {stats.LongestMs} ms ({stats.LongestCase}), most allocated by one case {stats.MostAllocated / 1024} KiB, " +
            $"total {total.ElapsedMilliseconds} ms; rejected/accepted per seed: {perSeed}");

        Assert.True(stats.Problems.Count == 0, $"{stats.Problems.Count} bad outcomes, first ones:\n" + string.Join("\n", stats.Problems.Take(25)));
        Assert.Equal(seeds.Count * CasesPerSeed, stats.Cases);
        Assert.True(stats.Cases >= 3000);
        // A fuzz that rejects everything (or nothing) is not exercising the readers.
        Assert.True(stats.Rejected > stats.Cases / 10 && stats.Accepted > stats.Cases / 20, $"rejected {stats.Rejected}, accepted {stats.Accepted}");
        Assert.True(stats.LongestMs <= MaxCaseMilliseconds);
    }

    private void Run(List<FuzzSeed> seeds, Stats stats, CancellationToken ct)
    {
        for (int s = 0; s < seeds.Count; s++)
        {
            var seed = seeds[s];
            string dir = Path.Combine(_dir.Path, seed.Name);
            Directory.CreateDirectory(dir);
            foreach (var (name, bytes) in seed.Files)
            {
                File.WriteAllBytes(Path.Combine(dir, name), bytes);
            }
            string target = Path.Combine(dir, seed.Target);
            string open = Path.GetFullPath(Path.Combine(dir, seed.OpenPath));
            var original = seed.Files[seed.Target];
            var rng = new Random(Seed + s);
            int rejected = 0, accepted = 0;
            for (int i = 0; i < CasesPerSeed; i++)
            {
                ct.ThrowIfCancellationRequested();
                var mutated = FuzzSeeds.Mutate(original, seed.LengthFields, rng, out string what);
                File.WriteAllBytes(target, mutated);
                string label = $"{seed.Name} #{i}: {what}";
                stats.Current = label;
                if (RunCase(open, dir, label, stats))
                {
                    accepted++;
                }
                else
                {
                    rejected++;
                }
            }
            stats.PerSeed[seed.Name] = (rejected, accepted);
            stats.Rejected += rejected;
            stats.Accepted += accepted;
        }
    }

    /// <summary>Runs one case; true when the model opened and every tensor was read.</summary>
    private static bool RunCase(string open, string dir, string label, Stats stats)
    {
        stats.Cases++;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        bool accepted = false;
        try
        {
            ModelFiles.OpenAndReadAll(open);
            accepted = true;
        }
        catch (ModelFormatException e)
        {
            if (!e.Message.Contains(dir, StringComparison.Ordinal) || e.Reason.Length == 0)
            {
                stats.Problems.Add($"{label}: message does not name a model file and a reason: {e.Message}");
            }
        }
        catch (Exception e)
        {
            stats.Problems.Add($"{label}: {e.GetType().FullName}: {e.Message}\n{e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("WeightWatcher.Core.Formats", StringComparison.Ordinal))}");
        }
        watch.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        if (watch.ElapsedMilliseconds > stats.LongestMs)
        {
            stats.LongestMs = watch.ElapsedMilliseconds;
            stats.LongestCase = label;
        }
        stats.MostAllocated = Math.Max(stats.MostAllocated, allocated);
        if (watch.ElapsedMilliseconds > MaxCaseMilliseconds)
        {
            stats.Problems.Add($"{label}: took {watch.ElapsedMilliseconds} ms");
        }
        if (allocated > MaxCaseAllocation)
        {
            stats.Problems.Add($"{label}: allocated {allocated / (1 << 20)} MiB");
        }
        return accepted;
    }
}
