using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>One worker of a <see cref="LoopbackCluster"/>: a fixed address and ports, and the process serving them now.</summary>
internal sealed class ClusterWorker(string address, int port, int httpPort)
{
    /// <summary>The loopback address the worker binds (its Akka address and its HTTP endpoint).</summary>
    public string Address { get; } = address;

    /// <summary>Akka.Remote port.</summary>
    public int Port { get; } = port;

    /// <summary>Port of the node's HTTP endpoint (/alive, /ready, /metrics).</summary>
    public int HttpPort { get; } = httpPort;

    /// <summary>The member's Akka address, as the cluster's log writes it.</summary>
    public string AkkaAddress => $"akka.tcp://weightwatcher@{Address}:{Port}";

    /// <summary>The process of the current incarnation (null before the first start).</summary>
    public WwProcess? Process { get; set; }
}

/// <summary>
/// A real cluster of separate processes, each on its own loopback address: three <c>ww node</c> workers
/// on 127.0.0.2, 127.0.0.3 and 127.0.0.4 (all three are seeds) and <c>ww zoo run</c> submitters
/// on 127.0.0.1. Every process's log is kept under the system temp folder
/// (<c>ww-cluster-test-logs/&lt;name&gt;</c>) when the cluster is disposed.
/// </summary>
internal sealed class LoopbackCluster : IDisposable
{
    /// <summary>The workers' addresses, in start order: the last one is the youngest member.</summary>
    public static readonly string[] WorkerAddresses = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];

    /// <summary>The submitters' address.</summary>
    public const string SubmitterAddress = "127.0.0.1";

    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(90);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private readonly string _name;
    private readonly List<(string Name, WwProcess Process)> _processes = [];

    public LoopbackCluster(string name)
    {
        _name = name;
        Workers = WorkerAddresses.Select(a => new ClusterWorker(a, FreePorts.Next(), FreePorts.Next())).ToArray();
        // Every worker is a seed: a restarted first seed joins whichever member answers. With two seeds, the
        // soak restarted both within a few seconds; the first, finding the other still joining, formed a
        // cluster of its own (Akka's first-seed rule), and the job's submitter joined that island.
        Seeds = string.Join(',', Workers.Select(w => $"{w.Address}:{w.Port}"));
    }

    /// <summary>The three workers.</summary>
    public IReadOnlyList<ClusterWorker> Workers { get; }

    /// <summary>The seed list every member is given.</summary>
    public string Seeds { get; }

    /// <summary>Every process started so far, workers and submitters, restarted incarnations included.</summary>
    public IEnumerable<WwProcess> Processes => _processes.Select(p => p.Process);

    /// <summary>
    /// Starts the three workers one after the other, each once the previous one is in the cluster: the
    /// first forms it, so it is the oldest and hosts the coordinator singleton, and 127.0.0.4 is the
    /// youngest, never the coordinator's host. <paramref name="youngestLauncher"/>, if any, starts the last.
    /// </summary>
    public void Form(IReadOnlyList<string>? youngestLauncher = null)
    {
        Start(Workers[0]);
        WaitFor(() => Workers[0].Process!.Stderr.Contains("forming a new cluster", StringComparison.Ordinal), JoinTimeout, "the first seed to form the cluster");
        for (int i = 1; i < Workers.Count; i++)
        {
            var worker = Workers[i];
            Start(worker, i == Workers.Count - 1 ? youngestLauncher : null);
            WaitFor(() => worker.Process!.Stderr.Contains("Welcome from", StringComparison.Ordinal), JoinTimeout, $"{worker.Address} to join");
        }
        // Joined is not yet Up: a member still Joining does not count for the split-brain resolver. A kill right
        // after the last Welcome left one of two Up workers reachable, a tie the lowest address (the dead one's
        // side) won, and the resolver downed the living (seen in CI). Every worker must see all three Up.
        WaitFor(() => Workers.All(w => MembersUp(w) >= Workers.Count), JoinTimeout, "every worker to see all workers Up");
    }

    /// <summary>Members Up as the worker's /ready endpoint reports them (0 when it does not answer).</summary>
    private static int MembersUp(ClusterWorker worker)
    {
        var match = System.Text.RegularExpressions.Regex.Match(Get(worker, "/ready").Body, @"(\d+) members Up");
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>Starts (or restarts) <paramref name="worker"/> on its address and ports, through <paramref name="launcher"/> if given.</summary>
    public WwProcess Start(ClusterWorker worker, IReadOnlyList<string>? launcher = null)
    {
        // Akka's membership events (INFO) tell the test when members join, become unreachable and are
        // downed; the worker's debug events name each layer it analyzes.
        var environment = new Dictionary<string, string> { ["WW_AKKA_LOG_LEVEL"] = "INFO", ["WW_LOG_LEVEL"] = "Debug" };
        string[] args =
        [
            "node", "--hostname", worker.Address, "--port", Invariant(worker.Port), "--http-port", Invariant(worker.HttpPort),
            "--seeds", Seeds, "--parallel", "1", "--min-workers", "2",
        ];
        worker.Process = WwProcess.StartUnder(launcher ?? [], environment, args);
        Keep($"node-{worker.Address}", worker.Process);
        return worker.Process;
    }

    /// <summary>Starts <c>ww zoo run</c> on 127.0.0.1 over <paramref name="zoo"/>, its results in <paramref name="resultStore"/>, with <paramref name="extra"/> arguments.</summary>
    public WwProcess Submit(string zoo, string resultStore, params string[] extra)
    {
        var runner = WwProcess.Start(new Dictionary<string, string> { ["WW_AKKA_LOG_LEVEL"] = "INFO" },
            ["zoo", "run", "--store", zoo, "--result-store", resultStore, "--seeds", Seeds,
            "--hostname", SubmitterAddress, "--port", Invariant(FreePorts.Next()), "--min-workers", "2", "--task-timeout", "120", .. extra]);
        Keep("runner", runner);
        return runner;
    }

    /// <summary>The worker that hosts the coordinator singleton: the one that logged the planning.</summary>
    public ClusterWorker CoordinatorHost() => CoordinatorHosts().Single();

    /// <summary>The workers that logged planning a job (the coordinator's hosts so far, one more after each move), in start order.</summary>
    public IReadOnlyList<ClusterWorker> CoordinatorHosts() =>
        Workers.Where(w => w.Process?.Stderr.Contains("planning models", StringComparison.Ordinal) == true).ToList();

    /// <summary>Layer results stored so far under <paramref name="resultStore"/>.</summary>
    public static int Stored(string resultStore) => ResultFiles.StoredLayers(Path.Combine(resultStore, "results"));

    /// <summary>GET <paramref name="path"/> on the worker's HTTP endpoint; status 0 when nothing answers.</summary>
    public static (HttpStatusCode Status, string Body) Get(ClusterWorker worker, string path)
    {
        try
        {
            using var response = Http.GetAsync($"http://{worker.Address}:{worker.HttpPort}{path}").GetAwaiter().GetResult();
            return (response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, e.Message);
        }
    }

    /// <summary>Waits for <paramref name="condition"/>; fails with the tail of every log on timeout.</summary>
    public void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:0} s waiting for {what}\n" +
                    string.Join("\n----\n", _processes.Select(p => $"{p.Name}:\n{WwProcess.Tail(p.Process.Stderr, 30)}")));
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>Kills every process still running and keeps the logs.</summary>
    public void Dispose()
    {
        foreach (var (_, process) in _processes)
        {
            process.Dispose();
        }
        string logs = Path.Combine(Path.GetTempPath(), "ww-cluster-test-logs", _name);
        Directory.CreateDirectory(logs);
        foreach (var (name, process) in _processes)
        {
            File.WriteAllText(Path.Combine(logs, name + ".log"), process.Stderr + "\n---- stdout ----\n" + process.Stdout);
        }
    }

    /// <summary>Keeps the process for <see cref="Dispose"/>, named <c>kind-n</c> (n: the how-manieth of its kind).</summary>
    private void Keep(string kind, WwProcess process) =>
        _processes.Add(($"{kind}-{_processes.Count(p => p.Name.StartsWith(kind + "-", StringComparison.Ordinal)) + 1}", process));

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
