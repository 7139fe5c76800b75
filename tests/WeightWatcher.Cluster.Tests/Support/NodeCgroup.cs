namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// A cgroup v2 leaf that holds one cluster member's process from its first instruction, so packet rules can
/// pick out every socket of that process (nftables' <c>socket cgroupv2</c>). Addresses alone cannot: a
/// member on 127.0.0.4 listens on 127.0.0.4, but the connections it opens to the others leave from
/// 127.0.0.1 (the source the kernel picks for any loopback destination), and Akka talks both ways over
/// whichever connection between two members came first. A rule on 127.0.0.4 alone therefore cuts only
/// the connections others opened to it (seen: the member stayed reachable from the workers, and only the
/// submitter and it lost each other).
/// </summary>
internal sealed class NodeCgroup : IDisposable
{
    /// <summary>nft resolves a <c>cgroupv2</c> path below this folder.</summary>
    private const string NftRoot = "/sys/fs/cgroup";

    private NodeCgroup(string folder)
    {
        Folder = folder;
        NftPath = Path.GetRelativePath(NftRoot, folder);
    }

    /// <summary>The cgroup's folder.</summary>
    public string Folder { get; }

    /// <summary>The cgroup as nft names it: its path below <c>/sys/fs/cgroup</c>.</summary>
    public string NftPath { get; }

    /// <summary>A launcher for <see cref="WwProcess.StartUnder"/>: the shell joins the cgroup, then becomes <c>ww</c>.</summary>
    public IReadOnlyList<string> Launcher => ["sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", Path.Combine(Folder, "cgroup.procs")];

    /// <summary>
    /// Creates the leaf <paramref name="name"/> at the top of the cgroup v2 hierarchy (removing a leftover
    /// of an earlier run first). Skips the test where there is no writable cgroup v2 hierarchy below
    /// <c>/sys/fs/cgroup</c>: that is the kernel's and the container's, nothing .ci/run can install.
    /// </summary>
    public static NodeCgroup Create(string name)
    {
        string? mount = CgroupV2Mount();
        if (mount is null || !(mount == NftRoot || mount.StartsWith(NftRoot + "/", StringComparison.Ordinal)))
        {
            Assert.Skip($"no cgroup v2 hierarchy mounted below {NftRoot} (found: {mount ?? "none"}): the test needs one to tell a member's sockets apart on loopback");
        }
        string folder = Path.Combine(mount, name);
        if (!Remove(folder))
        {
            Assert.Fail($"{folder} is left over from an earlier run and still holds processes: {File.ReadAllText(Path.Combine(folder, "cgroup.procs"))}");
        }
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Assert.Skip($"cannot create a cgroup in {mount} ({e.Message}): the test needs one to tell a member's sockets apart on loopback");
        }
        return new NodeCgroup(folder);
    }

    /// <summary>Removes the cgroup (its process has been killed by then; the kernel empties it as the process is reaped).</summary>
    public void Dispose() => Remove(Folder);

    /// <summary>Removes the cgroup's folder, waiting up to 5 s for it to be empty; false when it still holds processes.</summary>
    private static bool Remove(string folder)
    {
        for (int attempt = 0; Directory.Exists(folder); attempt++)
        {
            try
            {
                Directory.Delete(folder); // rmdir: a cgroup's folder goes, files and all, once no process is left in it
            }
            catch (IOException) when (attempt < 50)
            {
                Thread.Sleep(100);
            }
            catch (IOException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The mount point of the cgroup v2 hierarchy, from /proc/self/mountinfo; null when none is mounted.</summary>
    private static string? CgroupV2Mount()
    {
        if (!File.Exists("/proc/self/mountinfo"))
        {
            return null;
        }
        // "36 25 0:31 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw": the mount point is the fifth
        // field, the file system type the first after the " - " separator.
        return File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(" - ", 2))
            .Where(parts => parts.Length == 2 && parts[1].StartsWith("cgroup2 ", StringComparison.Ordinal))
            .Select(parts => parts[0].Split(' ')[4])
            .FirstOrDefault();
    }
}
