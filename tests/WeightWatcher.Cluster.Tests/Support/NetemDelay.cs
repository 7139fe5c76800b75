using System.Globalization;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// A fixed delay (tc netem) on the packets of one member: on the loopback device, an htb root whose
/// unclassified traffic goes straight through (<c>default 0</c>: the rest of the machine is not delayed nor
/// rate-limited), one class with a netem leaf, and a u32 filter sending the packets that carry the member's
/// nftables mark (<see cref="PacketFilter.MarkOutgoing"/>) to it. Every packet the member sends waits the
/// delay, as with netem on the egress of a node's own interface; what it receives is not delayed, so a
/// round trip with it takes the delay once more.
/// </summary>
internal sealed class NetemDelay : IDisposable
{
    private const string Device = "lo";
    private bool _applied;

    private NetemDelay()
    {
    }

    /// <summary>
    /// Why the delay cannot be built on this kernel, or null when it can: the same commands run in a
    /// private network namespace (<c>unshare -n</c>), whose loopback device nothing else uses, and the
    /// first failure's message is the answer (e.g. "Specified qdisc kind is unknown." without sch_netem).
    /// </summary>
    public static string? Unavailable(uint mark, TimeSpan delay)
    {
        string unshare = Prerequisite.RequireOnPath("unshare", "apt-get install util-linux");
        Prerequisite.RequireOnPath("tc", "apt-get install iproute2");
        string script = string.Join(" && ", Steps(mark, delay).Select(step => "tc " + string.Join(' ', step)));
        var (code, output) = HostCommand.Run(unshare, "-n", "sh", "-c", script);
        return code == 0 ? null : $"{output} (probed in a private network namespace: {script})";
    }

    /// <summary>
    /// Delays the packets marked <paramref name="mark"/> by <paramref name="delay"/>. Skips the test when the
    /// loopback device already has a queueing discipline of someone else's (it is shared with the machine).
    /// </summary>
    public static NetemDelay Apply(uint mark, TimeSpan delay)
    {
        string current = HostCommand.Check("tc", "qdisc", "show", "dev", Device);
        if (!current.StartsWith("qdisc noqueue", StringComparison.Ordinal))
        {
            Assert.Skip($"{Device} already has a queueing discipline, not replaced by a test: {current}");
        }
        var netem = new NetemDelay();
        try
        {
            foreach (var step in Steps(mark, delay))
            {
                netem._applied = true;
                HostCommand.Check("tc", step);
            }
            return netem;
        }
        catch
        {
            netem.Dispose();
            throw;
        }
    }

    /// <summary>Packets the netem leaf has sent so far (to show the filter caught the member's traffic).</summary>
    public string Statistics() => HostCommand.Run("tc", "-s", "qdisc", "show", "dev", Device).Output;

    /// <summary>Removes the root queueing discipline: the device is back to no queue.</summary>
    public void Dispose()
    {
        if (_applied)
        {
            HostCommand.Run("tc", "qdisc", "del", "dev", Device, "root");
            _applied = false;
        }
    }

    private static IEnumerable<string[]> Steps(uint mark, TimeSpan delay)
    {
        string ms = ((int)delay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        string markText = "0x" + mark.ToString("x", CultureInfo.InvariantCulture);
        yield return ["qdisc", "add", "dev", Device, "root", "handle", "1:", "htb", "default", "0"];
        yield return ["class", "add", "dev", Device, "parent", "1:", "classid", "1:1", "htb", "rate", "100gbit", "quantum", "200000"];
        // A long queue: at 300 ms a busy member has many packets in flight, and netem's default 1000 would drop some.
        yield return ["qdisc", "add", "dev", Device, "parent", "1:1", "handle", "10:", "netem", "delay", ms, "limit", "100000"];
        yield return ["filter", "add", "dev", Device, "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "mark", markText, "0xffffffff", "flowid", "1:1"];
    }
}
