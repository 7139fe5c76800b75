using System.Diagnostics;
using System.Globalization;
using System.Net;
using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A network partition in a real cluster of processes on their own loopback addresses (workers on
/// 127.0.0.2-4, the submitter on 127.0.0.1): when about a quarter of the layers are stored, nftables rules
/// cut the worker on 127.0.0.4 off from everyone, both ways. The majority (two workers and the submitter)
/// must down it and finish the job with every layer once and the one-process run's tables; the cut-off
/// worker, alone on its side, must down itself and exit rather than run on as a cluster of its own; and
/// once the rules are gone, a worker restarted on the same address and port must rejoin.
/// </summary>
public sealed class NetworkPartitionTests
{
    // Fixed names, so that a run interrupted before its cleanup is cleaned up by the next.
    private const string Table = "ww_test_partition";
    private const string Cgroup = "ww-test-partition";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void A_worker_cut_off_by_the_network_is_downed_exits_and_rejoins_once_the_network_heals()
    {
        using var filter = PacketFilter.Create(Table);
        using var cgroup = NodeCgroup.Create(Cgroup);
        using var zooFolder = new TempDir();
        string zoo = CifarZoo.Prepare(zooFolder);
        using var reference = new TempDir();
        using var results = new TempDir();
        using var cluster = new LoopbackCluster("partition");

        // The one-process run that gives the expected tables runs while the members start: both mostly wait.
        using var single = WwProcess.Start(null, "zoo", "run", "--store", zoo, "--result-store", reference.Path);
        // The cut-off worker is the youngest member, so the coordinator singleton is never on it (losing its
        // host is MultiNodeZooJobTests' case); its process runs in a cgroup of its own for the packet rules.
        cluster.Form(youngestLauncher: cgroup.Launcher);
        var victim = cluster.Workers[2];
        int singleExit = single.WaitForExit(Timeout);
        Assert.True(singleExit == 0, $"one-process run: exit {singleExit}\n{WwProcess.Tail(single.Stderr)}");
        var expected = JobTables.Read(reference.Path);
        int layers = expected.Layers.Length - 1;

        var runner = cluster.Submit(zoo, results.Path);
        cluster.WaitFor(() => LoopbackCluster.Stored(results.Path) >= layers / 4 || runner.HasExited, Timeout, "a quarter of the layers");
        Assert.False(runner.HasExited, $"the job ended before the cut\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
        Assert.NotSame(victim, cluster.CoordinatorHost());
        int storedAtCut = LoopbackCluster.Stored(results.Path);
        var cutAt = DateTime.Now;
        var clock = Stopwatch.StartNew();
        filter.CutOff(victim.Address, cgroup);

        // The majority's view, from its members' logs (polled every 100 ms).
        var majority = cluster.Workers.Take(2).Select(w => w.Process!).Append(runner).ToList();
        double? markedUnreachable = null, downed = null, allAnalyzed = null, jobDone = null;
        cluster.WaitFor(() =>
        {
            double now = clock.Elapsed.TotalSeconds;
            markedUnreachable ??= majority.Any(p => ClusterLog.HasLine(p, ClusterLog.Unreachable, victim.AkkaAddress)) ? now : null;
            downed ??= ClusterLog.Downed(majority, victim) ? now : null;
            // The submitter's progress line turns to "Reporting" once every layer is in.
            allAnalyzed ??= runner.Stderr.Contains(" Reporting: ", StringComparison.Ordinal) ? now : null;
            jobDone ??= runner.HasExited ? now : null;
            return jobDone is not null && victim.Process!.HasExited;
        }, Timeout, "the job to finish and the cut-off worker to exit");
        double victimExit = (victim.Process!.ExitTime!.Value - cutAt).TotalSeconds;
        string victimLog = victim.Process.Stderr;

        int exit = runner.WaitForExit(Timeout);
        Assert.True(exit == 0, $"exit {exit}\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
        Assert.NotNull(downed);
        // The cut-off worker downed itself (keep-majority: alone against three, its side is the one to go;
        // no gossip from the majority could reach it) and stopped: Akka's coordinated shutdown
        // (run-coordinated-shutdown-when-down), then ww node's exit with the failure that says so.
        Assert.True(ClusterLog.HasLine(victim.Process, "SBR took decision Akka.Cluster.SBR.DownReachable", "including myself"), WwProcess.Tail(victimLog));
        Assert.Contains("Node has been marked as DOWN. Shutting down myself", victimLog);
        Assert.Contains("was removed from the cluster (downed) and stopped", victimLog);
        Assert.NotEqual(0, victim.Process.WaitForExit(Timeout));
        Assert.All(cluster.Workers.Take(2), w => Assert.False(w.Process!.HasExited, $"{w.Address} stopped too\n{WwProcess.Tail(w.Process!.Stderr)}"));

        var actual = JobTables.Read(results.Path);
        expected.AssertSameAs(actual);
        Assert.Equal(0, actual.DuplicateLayerRows());
        var manifest = ResultFiles.Manifest(Path.Combine(results.Path, "results"));
        Assert.Equal(layers, manifest.Counts.Layers);
        Assert.Equal(0, manifest.Counts.LayersFailed);
        // Layers the cut-off worker analyzed whose results never reached the coordinator, done again by the majority.
        var analyzedByMajority = ClusterLog.Analyses(cluster.Workers.Take(2).Select(w => w.Process!.Stderr));
        var analyzedByVictim = ClusterLog.Analyses([victimLog]);
        int analyzedTwice = analyzedByVictim.Keys.Count(analyzedByMajority.ContainsKey);
        int analyzedMoreThanOnce = ClusterLog.Analyses(cluster.Workers.Take(2).Select(w => w.Process!.Stderr).Append(victimLog)).Count(a => a.Value > 1);

        // Healed: the rules go, and a worker started again on the same address and port joins (a new
        // incarnation: the old one was removed, and its identity is quarantined for good).
        filter.Heal();
        var workers = cluster.Workers.Take(2).Select(w => w.Process!).ToList();
        int upBefore = ClusterLog.UpLines(workers, victim);
        var restartClock = Stopwatch.StartNew();
        cluster.Start(victim);
        double? welcomed = null, movedUp = null, ready = null;
        cluster.WaitFor(() =>
        {
            double now = restartClock.Elapsed.TotalSeconds;
            welcomed ??= victim.Process.Stderr.Contains("Welcome from", StringComparison.Ordinal) ? now : null;
            movedUp ??= ClusterLog.UpLines(workers, victim) > upBefore ? now : null;
            ready ??= LoopbackCluster.Get(victim, "/ready").Status == HttpStatusCode.OK ? now : null;
            return welcomed is not null && movedUp is not null && ready is not null;
        }, Timeout, "the restarted worker to rejoin");

        TestContext.Current.SendDiagnosticMessage(FormattableString.Invariant(
            $"cut {victim.Address} at {storedAtCut}/{layers} layers stored; majority marked it unreachable {Seconds(markedUnreachable)} and downed it {Seconds(downed)} after the cut; ") +
            FormattableString.Invariant(
            $"the cut-off process exited {victimExit:F1} s after the cut; every layer analyzed {Seconds(allAnalyzed)} and the job finished {jobDone:F1} s after the cut; {manifest.Counts.Resent} tasks re-sent, ") +
            FormattableString.Invariant(
            $"{analyzedTwice} of the cut-off worker's {analyzedByVictim.Count} layers analyzed again by the majority (results lost in the cut), {analyzedMoreThanOnce} layers analyzed more than once in all, {actual.DuplicateLayerRows()} duplicate rows; ") +
            FormattableString.Invariant(
            $"restarted worker: Welcome {welcomed:F1} s, Up in the majority's log {movedUp:F1} s, /ready {ready:F1} s after its start"));
    }

    private static string Seconds(double? value) => value is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) + " s" : "never";
}
