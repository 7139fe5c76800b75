using System.Diagnostics;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// A real cluster of separate processes on 127.0.0.1 for the fault tests: three <c>ww node</c> workers
/// (two of them seeds) over a zoo of the CIFAR ResNet series of ../shared/zoo (linked: ../shared is read-only)
/// and generated models, with the tables of a one-process run of that zoo to compare with. Submitters are
/// started by the test; every member's log is kept under the temp folder when the cluster is disposed.
/// </summary>
public sealed class LocalZooCluster : IDisposable
{
    /// <summary>Bound of one job (and of the one-process reference run).</summary>
    public static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(6);

    private readonly TempDir _zoo = new();
    private readonly TempDir _reference = new();
    private readonly List<WwProcess> _submitters = [];
    private readonly string _logName;

    private LocalZooCluster(string logName)
    {
        _logName = logName;
    }

    /// <summary>The zoo folder (the models store).</summary>
    public string Zoo => _zoo.Path;

    /// <summary>The worker processes, in start order.</summary>
    public List<WwProcess> Nodes { get; } = [];

    /// <summary>The seed addresses (the first two workers).</summary>
    public string Seeds { get; private set; } = "";

    /// <summary>layers.csv, models.csv and series.csv of the one-process run, as lines.</summary>
    public (string[] Layers, string[] Models, string[] Series) Expected { get; private set; }

    /// <summary>Layers of the zoo.</summary>
    public int LayerCount => Expected.Layers.Length - 1;

    /// <summary>Writes the zoo, runs it in one process for the expected tables, then starts three workers and waits until they are members.</summary>
    public static LocalZooCluster Start(string logName)
    {
        string cifar = SharedFolder.Require("zoo/cifar10-resnet");
        var cluster = new LocalZooCluster(logName);
        try
        {
            foreach (var file in Directory.EnumerateFiles(cifar))
            {
                File.CreateSymbolicLink(Path.Combine(cluster.Zoo, Path.GetFileName(file)), file);
            }
            TestZoo.WriteGenerated(cluster.Zoo);
            var single = WwProcess.Run(JobTimeout, null, "zoo", "run", "--store", cluster.Zoo, "--result-store", cluster._reference.Path);
            Assert.True(single.ExitCode == 0, $"one-process run: exit {single.ExitCode}\n{WwProcess.Tail(single.Stderr)}");
            string reference = Path.Combine(cluster._reference.Path, "results");
            cluster.Expected = (ResultFiles.Csv(reference, "layers.csv"), ResultFiles.Csv(reference, "models.csv"), ResultFiles.Csv(reference, "series.csv"));
            cluster.StartWorkers();
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    private void StartWorkers()
    {
        int[] ports = [FreePorts.Next(), FreePorts.Next(), FreePorts.Next()];
        Seeds = $"127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}";
        // The first node starts alone and is the oldest member: the coordinator singleton lives there.
        Nodes.Add(StartNode(ports[0]));
        // Node 2 is a seed too: started before node 1 has formed the cluster, their join handshakes can
        // cross and leave node 2 outside. Kubernetes starts pods the same way, and retries; here we wait.
        WaitFor(() => Nodes[0].Stderr.Contains("forming a new cluster", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "node 1 to form the cluster");
        // Two workers are the minimum: with three, losing one would leave sharding waiting for a third
        // region forever (its minimum applies again when its coordinator moves).
        Nodes.Add(StartNode(ports[1]));
        Nodes.Add(StartNode(ports[2]));
        WaitFor(() => Nodes.Skip(1).All(n => n.Stderr.Contains("Welcome from", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "nodes 2 and 3 to join");
    }

    private WwProcess StartNode(int port) =>
        // Akka's membership events (INFO) tell the test when the cluster has formed.
        WwProcess.Start(new Dictionary<string, string> { ["WW_AKKA_LOG_LEVEL"] = "INFO" }, "node", "--port", port.ToString(), "--seeds", Seeds, "--parallel", "1", "--min-workers", "2");

    /// <summary>Starts a <c>ww zoo run</c> member over the zoo, results in <paramref name="resultStore"/>, with <paramref name="extra"/> arguments.</summary>
    public WwProcess Submit(string resultStore, params string[] extra)
    {
        var runner = WwProcess.Start(null, ["zoo", "run", "--store", Zoo, "--result-store", resultStore, "--seeds", Seeds, "--port", FreePorts.Next().ToString(), "--min-workers", "2", "--task-timeout", "120", .. extra]);
        _submitters.Add(runner);
        return runner;
    }

    /// <summary>The workers that logged planning a job, in start order (the coordinator's hosts so far).</summary>
    public IReadOnlyList<WwProcess> CoordinatorHosts() =>
        Nodes.Where(n => n.Stderr.Contains("planning models", StringComparison.Ordinal)).ToList();

    /// <summary>Layer results stored so far under <paramref name="resultsDir"/>.</summary>
    public static int Stored(string resultsDir)
    {
        string cache = Path.Combine(resultsDir, "cache");
        return Directory.Exists(cache) ? Directory.EnumerateFiles(cache, "*.json", SearchOption.AllDirectories).Count() : 0;
    }

    /// <summary>Asserts that <paramref name="resultsDir"/> holds the one-process run's tables, byte for byte, each layer once.</summary>
    public void AssertSameTables(string resultsDir)
    {
        var layers = ResultFiles.Csv(resultsDir, "layers.csv");
        Assert.Equal(Expected.Layers, layers);
        Assert.Equal(Expected.Models, ResultFiles.Csv(resultsDir, "models.csv"));
        Assert.Equal(Expected.Series, ResultFiles.Csv(resultsDir, "series.csv"));
        var keys = layers.Skip(1).Select(l => string.Join(',', l.Split(',').Take(2))).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    /// <summary>Polls <paramref name="condition"/> every 50 ms; fails with every member's log tail after <paramref name="timeout"/>.</summary>
    public void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"timed out waiting for {what}\n" + string.Join("\n----\n", Nodes.Concat(_submitters).Select(p => WwProcess.Tail(p.Stderr, 30))));
            }
            Thread.Sleep(50);
        }
    }

    /// <summary>Kills every member, keeps their logs (under the temp folder, ww-cluster-test-logs/&lt;name&gt;) and deletes the zoo.</summary>
    public void Dispose()
    {
        foreach (var member in Nodes.Concat(_submitters))
        {
            member.Dispose();
        }
        string logs = Path.Combine(Path.GetTempPath(), "ww-cluster-test-logs", _logName);
        Directory.CreateDirectory(logs);
        for (int i = 0; i < Nodes.Count; i++)
        {
            File.WriteAllText(Path.Combine(logs, $"node{i + 1}.log"), Nodes[i].Stderr);
        }
        for (int i = 0; i < _submitters.Count; i++)
        {
            File.WriteAllText(Path.Combine(logs, $"submitter{i + 1}.log"), _submitters[i].Stdout + "\n---- stderr\n" + _submitters[i].Stderr);
        }
        _zoo.Dispose();
        _reference.Dispose();
    }
}
