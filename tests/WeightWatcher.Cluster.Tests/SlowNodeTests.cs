using System.Diagnostics;
using System.Globalization;
using System.Net;
using WeightWatcher.Cluster.Tests.Support;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// A slow member in a real cluster of processes on their own loopback addresses (workers on 127.0.0.2-4,
/// submitters on 127.0.0.1): the same job runs three times on one cluster, undisturbed, with the worker on
/// 127.0.0.4 slowed down, and undisturbed again (the first run also warms the members up, so the slowed
/// run is compared with both). A slow member is not a dead one: it must not be downed, and the job
/// must finish with the undisturbed run's tables. Two ways to slow it: 300 ms of tc netem delay on every
/// packet it sends (where the kernel has sch_netem), and freezing its process 300 ms out of every 600 ms
/// (anywhere; <see cref="ProcessPauser"/> says what that models).
/// </summary>
public sealed class SlowNodeTests
{
    private const string Table = "ww_test_slow_node";
    private const string Cgroup = "ww-test-slow-node";
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void A_worker_behind_300_ms_of_netem_delay_is_not_downed_and_the_job_completes()
    {
        using var filter = PacketFilter.Create(Table);
        if (NetemDelay.Unavailable(Delay) is { } reason)
        {
            // A kernel module (sch_netem), not a package: nothing .ci/run installs, so a skip under CI too.
            Assert.Skip($"tc netem is not available on this kernel: {reason}");
        }
        using var cgroup = NodeCgroup.Create(Cgroup);
        RunWithSlowWorker("slow-node-netem", cgroup.Launcher, _ =>
        {
            var netem = NetemDelay.Apply(Delay);
            filter.ClassifyOutgoing(cgroup, NetemDelay.ClassId);
            return (netem, () =>
            {
                long delayed = netem.PacketsDelayed();
                Assert.True(delayed > 0, "none of the worker's packets went through netem");
                return FormattableString.Invariant($"netem {Delay.TotalMilliseconds:0} ms on each of the worker's packets, {delayed} packets delayed");
            });
        });
    }

    [Fact]
    public void A_worker_frozen_300_ms_at_a_time_is_not_downed_and_the_job_completes() =>
        RunWithSlowWorker("slow-node-pause", null, worker =>
        {
            var pauser = new ProcessPauser(worker.Process!, pause: Delay, run: Delay);
            return (pauser, () =>
            {
                Assert.True(pauser.Pauses > 0, "the worker was never frozen");
                return FormattableString.Invariant(
                    $"frozen {pauser.Pauses} times, {pauser.MeanMs:F0} ms on average, {pauser.LongestMs:F0} ms at most, running {Delay.TotalMilliseconds:0} ms in between");
            });
        });

    /// <summary>
    /// Forms the cluster (the youngest worker through <paramref name="launcher"/>), runs the job undisturbed,
    /// with the youngest worker slowed by <paramref name="slowDown"/>, and undisturbed again. The slowdown's
    /// summary, taken at the end of the slowed run, checks that it did slow the worker and says how.
    /// </summary>
    private static void RunWithSlowWorker(string name, IReadOnlyList<string>? launcher, Func<ClusterWorker, (IDisposable Slowdown, Func<string> Summary)> slowDown)
    {
        using var zooFolder = new TempDir();
        string zoo = CifarZoo.Prepare(zooFolder);
        using var baseline = new TempDir();
        using var slowed = new TempDir();
        using var after = new TempDir();
        using var cluster = new LoopbackCluster(name);
        cluster.Form(launcher);
        var slow = cluster.Workers[2];

        var before = RunJob(cluster, zoo, baseline.Path);
        int unreachableBefore = ClusterLog.Lines(cluster.Processes, ClusterLog.Unreachable).Count();
        var (slowdown, summary) = slowDown(slow);
        JobTime slowedTime;
        string how;
        using (slowdown)
        {
            slowedTime = RunJob(cluster, zoo, slowed.Path);
            how = summary();
        }
        var unreachable = ClusterLog.Lines(cluster.Processes, ClusterLog.Unreachable).Skip(unreachableBefore).ToList();
        var afterTime = RunJob(cluster, zoo, after.Path);

        // Not downed: still running, never marked Down in any log, and ready (Up, its region registered).
        Assert.False(slow.Process!.HasExited, $"the slow worker stopped\n{WwProcess.Tail(slow.Process.Stderr)}");
        Assert.False(ClusterLog.Downed(cluster.Processes, slow), string.Join('\n', ClusterLog.Lines(cluster.Processes, "[Down]")));
        cluster.WaitFor(() => LoopbackCluster.Get(slow, "/ready").Status == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the slow worker to be ready");
        var expected = JobTables.Read(baseline.Path);
        var actual = JobTables.Read(slowed.Path);
        expected.AssertSameAs(actual);
        Assert.Equal(0, actual.DuplicateLayerRows());
        var manifest = ResultFiles.Manifest(Path.Combine(slowed.Path, "results"));
        Assert.Equal(0, manifest.Counts.LayersFailed);
        // The slow worker took its share: the job did not just route around it.
        Assert.Contains(slow.AkkaAddress, manifest.Nodes);
        TestContext.Current.SendDiagnosticMessage(FormattableString.Invariant(
            $"{name}: job (submission to exit / analysis phase) {before} undisturbed, {slowedTime} with {slow.Address} slowed, {afterTime} undisturbed again; ") +
            FormattableString.Invariant($"slowed: {how}; {manifest.Counts.Resent} tasks re-sent; ") +
            (unreachable.Count == 0 ? "no member marked unreachable" : $"marked unreachable {unreachable.Count} times: {string.Join(" | ", unreachable)}"));
    }

    /// <summary>Runs the job from submission to exit.</summary>
    private static JobTime RunJob(LoopbackCluster cluster, string zoo, string resultStore)
    {
        var clock = Stopwatch.StartNew();
        var runner = cluster.Submit(zoo, resultStore);
        int exit = runner.WaitForExit(Timeout);
        Assert.True(exit == 0, $"exit {exit}\n{runner.Stdout}\n{WwProcess.Tail(runner.Stderr)}");
        return new JobTime(clock.Elapsed.TotalSeconds, ResultFiles.Manifest(Path.Combine(resultStore, "results")).Timings.Analysis);
    }

    /// <summary>A job's wall time from submission to the submitter's exit, and its analysis phase (the coordinator's figure), in seconds.</summary>
    private sealed record JobTime(double Wall, double Analysis)
    {
        public override string ToString() => FormattableString.Invariant($"{Wall:F1} s / {Analysis:F1} s");
    }
}
