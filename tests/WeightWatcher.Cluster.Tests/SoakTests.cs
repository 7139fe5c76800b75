using System.Diagnostics;
using System.Globalization;
using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// The soak: three jobs in a row over a generated zoo in every format the soak can write or link (5% of the
/// files corrupt) on three workers, while a random worker is killed (SIGKILL) and restarted on its address
/// every so often. Each job must finish with the one-process run's tables (every good layer once) and every
/// corrupt file among its failures; the workers' peak memory must stay flat from job to job; no temporary
/// file may be left where the next run does not clean it. The length is a parameter: CI runs the short
/// default; <c>tests/soak.sh</c> runs the long one (200 models, about 5,000 layers).
/// Environment: WW_SOAK_MODELS, WW_SOAK_LAYERS (per model), WW_SOAK_JOBS (3), WW_SOAK_KILL_SECONDS ("min-max").
/// </summary>
public sealed class SoakTests
{

    [Fact]
    public async Task Three_jobs_under_random_worker_kills_lose_nothing_and_memory_stays_flat()
    {
        // The short default CI runs: 154 models, about 1,800 layers, two kills per job.
        int models = Setting("WW_SOAK_MODELS", 150);
        int jobs = Setting("WW_SOAK_JOBS", 3);
        int layers = Setting("WW_SOAK_LAYERS", 12);
        string? killEvery = Environment.GetEnvironmentVariable("WW_SOAK_KILL_SECONDS");
        bool onClock = killEvery is not null;
        var (killMin, killMax) = KillInterval(killEvery ?? "0-0");
        var jobTimeout = TimeSpan.FromMinutes(4 + models * layers / 100.0);
        using var zooFolder = new TempDir();
        var zoo = SoakZoo.Write(zooFolder, models, layers);
        using var reference = new TempDir();
        using var results = new TempDir();
        using var cluster = new LoopbackCluster("soak");
        using var single = WwProcess.Start(null, "zoo", "run", "--store", zoo.Folder, "--result-store", reference.Path, "--no-html");
        cluster.Form();
        // The corrupt files make every run a partial failure (exit 3), with the same tables.
        var expected = JobTables.Of(single, reference.Path, jobTimeout, expectedExit: 3);

        using var stop = new CancellationTokenSource();
        var kills = new List<(double At, string Address)>();
        var rss = new System.Collections.Concurrent.ConcurrentDictionary<int, long>(); // job -> peak RSS of any worker
        int currentJob = 0;
        var clock = Stopwatch.StartNew();
        // Long soaks kill on a clock (every WW_SOAK_KILL_SECONDS); the short default kills when a third and
        // two thirds of the running job's layers are stored, so every job, however fast, loses a worker or two.
        var killer = Task.Run(() =>
        {
            var random = new Random(15);
            int killedInJob = 0, jobOfKills = 0;
            double lastKill = double.NegativeInfinity;
            while (!stop.Token.WaitHandle.WaitOne(onClock ? TimeSpan.FromSeconds(killMin + random.NextDouble() * (killMax - killMin)) : TimeSpan.FromMilliseconds(50)))
            {
                int job = Volatile.Read(ref currentJob);
                if (!onClock)
                {
                    (killedInJob, jobOfKills) = job == jobOfKills ? (killedInJob, job) : (0, job);
                    int stored = job == 0 ? 0 : ResultFiles.StoredLayers(Path.Combine(results.Path, $"soak-{job}"));
                    // Six seconds apart at least (a restarted worker is back in about three): two members lost at once would leave no majority to down them.
                    if (job == 0 || killedInJob >= 2 || stored < expected.LayerCount * (killedInJob + 1) / 3 || clock.Elapsed.TotalSeconds - lastKill < 6)
                    {
                        continue;
                    }
                    killedInJob++;
                }
                var victim = cluster.Workers[random.Next(cluster.Workers.Count)];
                victim.Process!.Kill();
                lastKill = clock.Elapsed.TotalSeconds;
                lock (kills)
                {
                    kills.Add((clock.Elapsed.TotalSeconds, victim.Address));
                }
                cluster.Start(victim); // the same address and ports: a new incarnation replaces the dead one
            }
        });
        var sampler = Task.Run(() =>
        {
            while (!stop.Token.WaitHandle.WaitOne(500))
            {
                foreach (var worker in cluster.Workers)
                {
                    long bytes = ResidentBytes(worker.Process);
                    rss.AddOrUpdate(Volatile.Read(ref currentJob), bytes, (_, peak) => Math.Max(peak, bytes));
                }
            }
        });

        var figures = new List<string>();
        try
        {
            for (int job = 1; job <= jobs; job++)
            {
                Volatile.Write(ref currentJob, job);
                // Each job writes under its own prefix, so each analyzes the whole zoo again.
                string prefix = $"soak-{job}/";
                var started = clock.Elapsed.TotalSeconds;
                var runner = cluster.Submit(zoo.Folder, results.Path, "--results", prefix, "--no-html");
                int exit = runner.WaitForExit(jobTimeout);
                Assert.True(exit == 3, $"job {job}: exit {exit}\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
                string resultsDir = Path.Combine(results.Path, prefix);
                var tables = new JobTables(ResultFiles.Csv(resultsDir, "layers.csv"), ResultFiles.Csv(resultsDir, "models.csv"), ResultFiles.Csv(resultsDir, "series.csv"));
                expected.AssertSameAs(tables);
                var manifest = ResultFiles.Manifest(resultsDir);
                Assert.Equal(0, manifest.Counts.LayersFailed);
                Assert.Equal(expected.LayerCount, manifest.Counts.Layers);
                // A fresh prefix: every layer analyzed by this job (a coordinator that moved finds its own job's layers stored).
                Assert.Equal(expected.LayerCount, manifest.Counts.LayersAnalyzed + manifest.Counts.LayersCached);
                foreach (var bad in zoo.Corrupt)
                {
                    Assert.Contains(manifest.Failures, f => f.Model.StartsWith(bad, StringComparison.Ordinal));
                }
                // Reports are written whole: no temporary file outside the cache, where workers killed mid-write may leave one the next run on this prefix sweeps.
                Assert.DoesNotContain(Directory.EnumerateFiles(resultsDir, "*.wwtmp", SearchOption.AllDirectories), f => !f.Contains("/cache/", StringComparison.Ordinal));
                int killed;
                lock (kills)
                {
                    killed = kills.Count(k => k.At >= started);
                }
                figures.Add($"job {job}: {clock.Elapsed.TotalSeconds - started:F0} s, {manifest.Counts.Layers} layers ({manifest.Counts.LayersAnalyzed} analyzed, {manifest.Counts.LayersCached} found stored after a coordinator move), {manifest.Counts.Resent} resent, {killed} kills during it, failures listed: {string.Join(", ", manifest.Failures.Select(f => f.Model))}, peak worker RSS {rss.GetValueOrDefault(job) / 1e6:F0} MB");
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(killer, sampler).WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        }
        // No runaway memory: no job's peak above the highest earlier one by half. The peak of a job is set by
        // which worker analyzes the large ONNX layers and whether a kill just renewed it (job to job 0.9-1.25x
        // in CI runs, up to 1.33x over two jobs); six jobs without kills levelled off at the fifth. Whether the
        // rise before that is the heap settling or a slow leak is measured by tests/soak.sh (WW_SOAK_JOBS).
        Assert.True(rss.GetValueOrDefault(1) > 0, "no RSS sample was taken");
        for (int job = 2; job <= jobs; job++)
        {
            long highest = Enumerable.Range(1, job - 1).Max(j => rss.GetValueOrDefault(j));
            Assert.True(rss.GetValueOrDefault(job) <= highest * 1.5, $"peak RSS grew: {string.Join("; ", figures)}");
        }
        int leftInCache = Directory.EnumerateFiles(results.Path, "*.wwtmp", SearchOption.AllDirectories).Count();
        Assert.True(leftInCache <= kills.Count, $"{leftInCache} temporary files left for {kills.Count} kills");
        TestContext.Current.SendDiagnosticMessage(
            $"soak: {zoo.Models} models ({zoo.Corrupt.Count} corrupt), {expected.LayerCount} layers, {kills.Count} kills ({string.Join(", ", kills.Select(k => $"{k.Address}@{k.At:F0}s"))}); " +
            string.Join("; ", figures) + $"; {leftInCache} temporary files left in caches");
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0 ? value : fallback;

    private static (double Min, double Max) KillInterval(string text)
    {
        var parts = text.Split('-');
        return (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[^1], CultureInfo.InvariantCulture));
    }

    /// <summary>The process's resident set (VmRSS), 0 when it is not running.</summary>
    private static long ResidentBytes(WwProcess? process)
    {
        try
        {
            if (process is null || process.HasExited)
            {
                return 0;
            }
            var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return 0;
        }
    }
}
