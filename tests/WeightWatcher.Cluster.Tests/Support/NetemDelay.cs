using System.Globalization;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// A fixed delay (tc netem) on the packets of one member: on the loopback device, an htb root whose
/// unclassified traffic goes straight through (<c>default 0</c>: the rest of the machine is neither delayed
/// nor rate-limited) and one class, <see cref="ClassId"/>, with a netem leaf, which the member's packets
/// enter by their priority (<see cref="PacketFilter.ClassifyOutgoing"/>). Every packet the member sends
/// waits the delay, as with netem on the egress of a node's own interface; what it receives is not
/// delayed, so a round trip with it takes the delay once. Checked here with a pfifo leaf in place of netem
/// (which this machine's kernel lacks): the member's packets, and only they, went through the class.
/// </summary>
internal sealed class NetemDelay : IDisposable
{
    /// <summary>The htb class whose leaf delays the packets put in it.</summary>
    public const string ClassId = "1:1";

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
    public static string? Unavailable(TimeSpan delay)
    {
        string unshare = Prerequisite.RequireOnPath("unshare", "apt-get install util-linux");
        Prerequisite.RequireOnPath("tc", "apt-get install iproute2");
        string script = string.Join(" && ", Steps(delay).Select(step => "tc " + string.Join(' ', step)));
        var (code, output) = HostCommand.Run(unshare, "-n", "sh", "-c", script);
        return code == 0 ? null : $"{output} (probed in a private network namespace: {script})";
    }

    /// <summary>
    /// Delays the packets put in <see cref="ClassId"/> by <paramref name="delay"/>. Skips the test when the
    /// loopback device already has a queueing discipline of someone else's (it is shared with the machine).
    /// </summary>
    public static NetemDelay Apply(TimeSpan delay)
    {
        string current = HostCommand.Check("tc", "qdisc", "show", "dev", Device);
        if (!current.StartsWith("qdisc noqueue", StringComparison.Ordinal))
        {
            Assert.Skip($"{Device} already has a queueing discipline, not replaced by a test: {current}");
        }
        var netem = new NetemDelay();
        try
        {
            foreach (var step in Steps(delay))
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

    /// <summary>Packets the netem leaf has let through so far: the member's packets did go through the delay.</summary>
    public long PacketsDelayed()
    {
        // "qdisc netem 10: parent 1:1 limit 100000 delay 300ms" then " Sent 1278 bytes 19 pkt (dropped 0, ...)".
        var lines = HostCommand.Check("tc", "-s", "qdisc", "show", "dev", Device).Split('\n');
        int netem = Array.FindIndex(lines, l => l.StartsWith("qdisc netem ", StringComparison.Ordinal));
        Assert.True(netem >= 0 && netem + 1 < lines.Length, "no netem statistics: " + string.Join('\n', lines));
        var words = lines[netem + 1].Trim().Split(' ');
        return long.Parse(words[Array.IndexOf(words, "pkt") - 1], CultureInfo.InvariantCulture);
    }

    /// <summary>Removes the root queueing discipline: the device is back to no queue.</summary>
    public void Dispose()
    {
        if (_applied)
        {
            HostCommand.Run("tc", "qdisc", "del", "dev", Device, "root");
            _applied = false;
        }
    }

    private static IEnumerable<string[]> Steps(TimeSpan delay)
    {
        string ms = ((int)delay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        yield return ["qdisc", "add", "dev", Device, "root", "handle", "1:", "htb", "default", "0"];
        yield return ["class", "add", "dev", Device, "parent", "1:", "classid", ClassId, "htb", "rate", "100gbit", "quantum", "200000"];
        // A long queue: at 300 ms a busy member has many packets in flight, and netem's default 1000 would drop some.
        yield return ["qdisc", "add", "dev", Device, "parent", ClassId, "handle", "10:", "netem", "delay", ms, "limit", "100000"];
    }
}
