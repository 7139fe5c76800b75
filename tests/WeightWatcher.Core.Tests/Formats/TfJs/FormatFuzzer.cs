using System.Diagnostics;
using WeightWatcher.Core.Formats;

namespace WeightWatcher.Core.Tests.Formats.TfJs;

/// <summary>Outcome of a fuzz run.</summary>
internal sealed class FuzzStats
{
    public int Cases;
    public int Rejected;
    public int Accepted;
    public long LongestMs;
    public string LongestCase = "";
    public volatile string Current = "";
    public readonly List<string> Problems = [];

    public override string ToString() => $"{Cases} cases, {Rejected} rejected, {Accepted} accepted, longest {LongestMs} ms ({LongestCase})";
}

/// <summary>
/// Runs mutated copies of the seeds' target files through <see cref="ModelOpener.Open"/> and reads every
/// tensor, on its own thread so that a hang fails the test: only ModelFormatException naming a file of the
/// model is allowed, and each case must finish in <see cref="MaxCaseMilliseconds"/> (Stopwatch per case).
/// Mutations come from the shared <see cref="FuzzSeeds.Mutate"/>.
/// </summary>
internal static class FormatFuzzer
{
    public const long MaxCaseMilliseconds = 2000;

    public static async Task<FuzzStats> RunAsync(string root, List<FuzzSeed> seeds, int casesPerSeed, int seed)
    {
        var stats = new FuzzStats();
        var ct = TestContext.Current.CancellationToken;
        var run = Task.Factory.StartNew(() => Run(root, seeds, casesPerSeed, seed, stats, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            await run.WaitAsync(TimeSpan.FromSeconds(150), ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"fuzz did not finish: stuck in case {stats.Current}");
        }
        return stats;
    }

    private static void Run(string root, List<FuzzSeed> seeds, int casesPerSeed, int seed, FuzzStats stats, CancellationToken ct)
    {
        for (int s = 0; s < seeds.Count; s++)
        {
            var fs = seeds[s];
            string dir = Path.Combine(root, fs.Name);
            Directory.CreateDirectory(dir);
            foreach (var (name, bytes) in fs.Files)
            {
                File.WriteAllBytes(Path.Combine(dir, name), bytes);
            }
            string target = Path.Combine(dir, fs.Target);
            string open = Path.GetFullPath(Path.Combine(dir, fs.OpenPath));
            var original = fs.Files[fs.Target];
            var rng = new Random(seed + s);
            for (int i = 0; i < casesPerSeed; i++)
            {
                ct.ThrowIfCancellationRequested();
                var mutated = FuzzSeeds.Mutate(original, fs.LengthFields, rng, out string what);
                File.WriteAllBytes(target, mutated);
                string label = $"{fs.Name} #{i}: {what}";
                stats.Current = label;
                RunCase(open, dir, label, stats);
            }
        }
    }

    private static void RunCase(string open, string dir, string label, FuzzStats stats)
    {
        stats.Cases++;
        var watch = Stopwatch.StartNew();
        try
        {
            ModelFiles.OpenAndReadAll(open);
            stats.Accepted++;
        }
        catch (ModelFormatException e)
        {
            stats.Rejected++;
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
        if (watch.ElapsedMilliseconds > stats.LongestMs)
        {
            stats.LongestMs = watch.ElapsedMilliseconds;
            stats.LongestCase = label;
        }
        if (watch.ElapsedMilliseconds > MaxCaseMilliseconds)
        {
            stats.Problems.Add($"{label}: took {watch.ElapsedMilliseconds} ms");
        }
    }
}
