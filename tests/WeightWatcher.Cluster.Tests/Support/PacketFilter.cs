using System.Globalization;
using System.Text;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// One nftables table of a test (<c>inet</c> family, a fixed name per test): packet rules that cut a
/// member off the network or put its packets in a traffic control class. The table is deleted when the test ends, failed or not
/// (dispose), and a table of the same name left by an earlier, interrupted run is deleted before this one
/// is created. Only packets to, from or of the member's process are touched: the rules match its
/// loopback address and its <see cref="NodeCgroup"/>, nothing else on the machine.
/// </summary>
internal sealed class PacketFilter : IDisposable
{
    /// <summary>
    /// The cgroup's depth counted from the root of the whole hierarchy, which nft compares; inside a
    /// container's cgroup namespace the visible root is itself some levels down, so one rule per plausible
    /// depth is written (a depth that is not the cgroup's matches no socket).
    /// </summary>
    private const int MaxCgroupLevel = 8;

    private readonly string _nft;
    private bool _present = true;

    private PacketFilter(string nft, string table)
    {
        _nft = nft;
        Table = table;
    }

    /// <summary>The table's name.</summary>
    public string Table { get; }

    /// <summary>
    /// Creates the empty table <paramref name="table"/>. Skips the test (fails it under CI, where .ci/run
    /// runs as root and installs nftables) when not root, when nft is missing or when it may not add a table.
    /// </summary>
    public static PacketFilter Create(string table)
    {
        Prerequisite.Require(Environment.IsPrivilegedProcess, "packet filter rules (nftables) need root: run the tests as root");
        string nft = Prerequisite.RequireOnPath("nft", "apt-get install nftables");
        HostCommand.Run(nft, "delete", "table", "inet", table); // a leftover of an interrupted run; usually "No such file or directory"
        var (code, output) = HostCommand.Run(nft, "add", "table", "inet", table);
        if (code != 0)
        {
            Prerequisite.Missing($"nft cannot add a table here: {output}");
        }
        return new PacketFilter(nft, table);
    }

    /// <summary>
    /// Cuts the member on <paramref name="address"/>, whose process is in <paramref name="cgroup"/>, off
    /// from everyone, both ways, in one transaction: packets to or from its address (connections others
    /// opened to it) and packets sent by or delivered to its process's sockets (the connections it opened,
    /// which leave from 127.0.0.1). TCP keeps the connections open and retransmits into the void, as
    /// across a failed switch.
    /// </summary>
    public void CutOff(string address, NodeCgroup cgroup)
    {
        var script = new StringBuilder();
        script.AppendLine(CultureInfo.InvariantCulture, $"table inet {Table} {{");
        script.AppendLine("  chain output {");
        script.AppendLine("    type filter hook output priority -10; policy accept;");
        script.AppendLine(CultureInfo.InvariantCulture, $"    ip saddr {address} drop");
        script.AppendLine(CultureInfo.InvariantCulture, $"    ip daddr {address} drop");
        AppendCgroupRules(script, cgroup, "drop");
        script.AppendLine("  }");
        script.AppendLine("  chain input {");
        script.AppendLine("    type filter hook input priority -10; policy accept;");
        AppendCgroupRules(script, cgroup, "drop");
        script.AppendLine("  }");
        script.AppendLine("}");
        Apply(script.ToString());
    }

    /// <summary>
    /// Puts every packet the process in <paramref name="cgroup"/> sends into traffic control class
    /// <paramref name="classId"/> (e.g. <c>1:1</c>) by setting its priority: htb takes a packet whose
    /// priority names one of its leaf classes straight into that class, with no tc filter (the u32 mark
    /// match is silently a match-all on a kernel without CONFIG_CLS_U32_MARK, seen here, and cls_fw is often absent).
    /// </summary>
    public void ClassifyOutgoing(NodeCgroup cgroup, string classId)
    {
        var script = new StringBuilder();
        script.AppendLine(CultureInfo.InvariantCulture, $"table inet {Table} {{");
        script.AppendLine("  chain output {");
        script.AppendLine("    type filter hook output priority -10; policy accept;");
        AppendCgroupRules(script, cgroup, $"meta priority set {classId}");
        script.AppendLine("  }");
        script.AppendLine("}");
        Apply(script.ToString());
    }

    /// <summary>Removes every rule: the table is deleted.</summary>
    public void Heal()
    {
        HostCommand.Check(_nft, "delete", "table", "inet", Table);
        _present = false;
    }

    /// <summary>Deletes the table if it is still there.</summary>
    public void Dispose()
    {
        if (_present)
        {
            HostCommand.Run(_nft, "delete", "table", "inet", Table);
            _present = false;
        }
    }

    /// <summary>The table as nft lists it, for diagnostics.</summary>
    public string List() => HostCommand.Run(_nft, "list", "table", "inet", Table).Output;

    private static void AppendCgroupRules(StringBuilder script, NodeCgroup cgroup, string verdict)
    {
        for (int level = 1; level <= MaxCgroupLevel; level++)
        {
            script.AppendLine(CultureInfo.InvariantCulture, $"    socket cgroupv2 level {level} \"{cgroup.NftPath}\" {verdict}");
        }
    }

    private void Apply(string script)
    {
        string file = Path.Combine(Path.GetTempPath(), $"{Table}-{Guid.NewGuid():N}.nft");
        File.WriteAllText(file, script);
        try
        {
            HostCommand.Check(_nft, "-f", file);
        }
        finally
        {
            File.Delete(file);
        }
        _present = true;
    }
}
