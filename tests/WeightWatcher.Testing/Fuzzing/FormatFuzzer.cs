using System.Diagnostics;
using WeightWatcher.Core.Formats;

namespace WeightWatcher.Testing;

/// <summary>
/// The one mutation fuzzer of the model readers. Each seed's files are written to a folder of their own;
/// every case writes a mutated copy of the seed's target file and runs <see cref="FuzzOptions.Exercise"/> on
/// the seed's open path. The only exception allowed is <see cref="ModelFormatException"/> with a reason,
/// naming a file of the model; each case is timed (<see cref="FuzzOptions.PerCaseLimit"/>) and may be bounded
/// in allocation. The loop runs on its own thread, so that a hang fails the test (naming the case) instead of
/// stalling the run.
/// </summary>
public static class FormatFuzzer
{
    /// <summary>Runs every seed's cases under <paramref name="root"/> and returns the report (the caller asserts on it).</summary>
    /// <param name="root">An empty temporary folder.</param>
    /// <param name="seeds">The valid starting points.</param>
    /// <param name="options">Cases, mutations, exercise and bounds.</param>
    public static async Task<FuzzReport> RunAsync(string root, IReadOnlyList<FuzzSeed> seeds, FuzzOptions options)
    {
        var report = new FuzzReport();
        var ct = TestContext.Current.CancellationToken;
        var total = Stopwatch.StartNew();
        var run = Task.Factory.StartNew(() => Run(root, seeds, options, report, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            await run.WaitAsync(options.RunTimeout, ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"fuzz did not finish within {options.RunTimeout.TotalSeconds:0} s: stuck in case {report.Current}");
        }
        TestContext.Current.SendDiagnosticMessage($"fuzz ({string.Join(", ", seeds.Select(s => s.Name))}): {report}, total {total.ElapsedMilliseconds} ms");
        return report;
    }

    private static void Run(string root, IReadOnlyList<FuzzSeed> seeds, FuzzOptions options, FuzzReport report, CancellationToken ct)
    {
        var shared = new Random(options.RandomSeed);
        for (int s = 0; s < seeds.Count; s++)
        {
            var seed = seeds[s];
            string dir = Path.Combine(root, seed.Name);
            Directory.CreateDirectory(dir);
            foreach (var (name, bytes) in seed.Files)
            {
                File.WriteAllBytes(Path.Combine(dir, name), bytes);
            }
            string target = Path.Combine(dir, seed.Target);
            string open = Path.GetFullPath(Path.Combine(dir, seed.OpenPath));
            if (options.SeedsMustBeValid)
            {
                options.Exercise(open);
            }
            var original = seed.Files[seed.Target];
            var random = options.OneRandomForAllSeeds ? shared : new Random(options.RandomSeed + s);
            int rejected = 0, accepted = 0;
            for (int i = 0; i < options.CasesPerSeed; i++)
            {
                ct.ThrowIfCancellationRequested();
                var (mutated, what) = options.Mutate(original, seed, random);
                File.WriteAllBytes(target, mutated);
                string label = $"{seed.Name} #{i}: {what}";
                report.Current = label;
                report.Cases++;
                switch (RunCase(open, dir, label, options, report))
                {
                    case true: accepted++; break;
                    case false: rejected++; break;
                }
            }
            report.PerSeed[seed.Name] = (rejected, accepted);
            report.Rejected += rejected;
            report.Accepted += accepted;
        }
    }

    /// <summary>Runs one case: true when accepted, false when refused as allowed, null on a bad outcome.</summary>
    private static bool? RunCase(string open, string dir, string label, FuzzOptions options, FuzzReport report)
    {
        var (elapsed, allocated, error) = Measure(open, options);
        if (elapsed > options.PerCaseLimit)
        {
            GC.Collect();
            var again = Measure(open, options).Elapsed;
            if (again > options.PerCaseLimit)
            {
                report.Problems.Add($"{label}: took {elapsed.TotalMilliseconds:0} ms, then {again.TotalMilliseconds:0} ms");
            }
            elapsed = again < elapsed ? again : elapsed;
        }
        if ((long)elapsed.TotalMilliseconds > report.LongestMs)
        {
            report.LongestMs = (long)elapsed.TotalMilliseconds;
            report.LongestCase = label;
        }
        report.MostAllocated = Math.Max(report.MostAllocated, allocated);
        if (options.MaxCaseAllocation is { } bound && allocated > bound)
        {
            report.Problems.Add($"{label}: allocated {allocated >> 20} MiB (bound {bound >> 20} MiB)");
        }
        switch (error)
        {
            case null:
                return true;
            case ModelFormatException e when e.Reason.Length > 0 && e.Message.Contains(dir, StringComparison.Ordinal):
                return false;
            case ModelFormatException e:
                report.Problems.Add($"{label}: message does not name a model file and a reason: {e.Message}");
                return null;
            default:
                string? frame = error.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("WeightWatcher.Core", StringComparison.Ordinal));
                report.Problems.Add($"{label}: {error.GetType().FullName}: {error.Message}\n{frame}");
                return null;
        }
    }

    private static (TimeSpan Elapsed, long Allocated, Exception? Error) Measure(string open, FuzzOptions options)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        Exception? error = null;
        try
        {
            options.Exercise(open);
        }
        catch (Exception e)
        {
            error = e;
        }
        watch.Stop();
        return (watch.Elapsed, GC.GetAllocatedBytesForCurrentThread() - before, error);
    }
}
