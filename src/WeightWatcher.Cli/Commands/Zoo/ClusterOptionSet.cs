using System.CommandLine;
using WeightWatcher.Cluster.Hosting;
using WeightWatcher.Cluster.Protocol;
using Env = WeightWatcher.Cli.Commands.EnvironmentDefaults;

namespace WeightWatcher.Cli.Commands.Zoo;

/// <summary>
/// Options of a cluster member, shared by <c>ww zoo run</c> and <c>ww node</c>. Each falls back to an
/// environment variable (WW_PORT, WW_SEEDS, ...) so a Kubernetes pod spec can set them without arguments;
/// help shows the value in force and a bad variable fails at parse time like a bad argument.
/// </summary>
internal sealed class ClusterOptionSet
{
    /// <summary>Akka's own log levels, as Akka spells them.</summary>
    public static readonly string[] AkkaLogLevels = ["DEBUG", "INFO", "WARNING", "ERROR", "OFF"];

    /// <summary>Akka.Remote port; null: 4053, or a free port for a one-process run (decided in <see cref="Bind"/>).</summary>
    public Option<int?> Port { get; } = CliOptions.FromEnvironment<int?>("--port", Env.Port,
        "Akka.Remote port of this member (default 4053, or a free port for a one-process run)", (t, s) => CliOptions.PortNumber(t, s), () => null);

    /// <summary>The interface to bind.</summary>
    public Option<string> Hostname { get; } = CliOptions.FromEnvironment("--hostname", Env.Hostname,
        "Interface to bind (0.0.0.0 in containers)", (t, _) => t, () => "127.0.0.1");

    /// <summary>The address other members reach this one at.</summary>
    public Option<string?> PublicHostname { get; } = CliOptions.FromEnvironment<string?>("--public-hostname", Env.PublicHostname,
        "Address other members reach this one at, e.g. a pod's DNS name", (t, _) => t, () => null);

    /// <summary>Seed members; none: a one-process cluster.</summary>
    public Option<string?> Seeds { get; } = CliOptions.FromEnvironment<string?>("--seeds", Env.Seeds,
        "Seed members as host:port,host:port; none: form a one-process cluster", (t, _) => t, () => null);

    /// <summary>Layers analyzed at once on this member.</summary>
    public Option<int> Parallel { get; } = CliOptions.FromEnvironment("--parallel", Env.Parallel,
        "Layers analyzed at once on this member (0: the number of cores)", (t, s) => CliOptions.Integer(t, s, 0), () => Environment.ProcessorCount);

    /// <summary>Node-local folder for copies of blob models.</summary>
    public Option<string> Staging { get; } = CliOptions.FromEnvironment("--staging", Env.Staging,
        "Folder for node-local copies of models held in blob storage", (t, _) => t, () => Path.Combine(Path.GetTempPath(), "ww-staging"));

    /// <summary>Workers a new job waits for.</summary>
    public Option<int> MinWorkers { get; } = CliOptions.FromEnvironment("--min-workers", Env.MinWorkers,
        "Worker members a new job waits for before its layers are handed out, so the first worker does not take them all. A job resumed after its coordinator moved does not wait again",
        (t, s) => CliOptions.Integer(t, s, 0), () => 1);

    /// <summary>The split-brain resolver's stable period, as written (checked by <see cref="Duration"/>).</summary>
    public Option<string> StableAfter { get; } = CliOptions.FromEnvironment("--stable-after", Env.StableAfter,
        "How long membership must be stable before the split-brain resolver downs unreachable members, e.g. 5s or 1500ms",
        CheckedDuration, () => "5s");

    /// <summary>The blob retry budget, as written (checked by <see cref="Duration"/>).</summary>
    public Option<string> StoreTimeout { get; } = CliOptions.FromEnvironment("--store-timeout", Env.StoreTimeout,
        "How long one blob storage request may go on failing, retried, before the store counts as unreachable and the job fails; a shorter outage is waited for. E.g. 30s",
        CheckedDuration, () => "30s");

    /// <summary>The memory budget of the layers this member analyzes at once.</summary>
    public Option<long> MaxMemory { get; } = CliOptions.MaxMemory();

    /// <summary>The folder of the member's TLS files; none: plain TCP.</summary>
    public Option<string?> TlsDir { get; } = CliOptions.FromEnvironment<string?>("--tls-dir", Env.TlsDir,
        $"Folder with this member's {ClusterTls.CertificateFile}, {ClusterTls.KeyFile} and the {ClusterTls.AuthorityFile} every member's certificate must chain to (a Kubernetes TLS Secret's layout): Akka.Remote runs over mutual TLS and refuses other peers. None: plain TCP, which any peer that reaches the port can join",
        (t, _) => t, () => null);

    /// <summary>Akka's own log level; its events are for operators when something is wrong.</summary>
    public Option<string> AkkaLogLevel { get; } = CliOptions.FromEnvironment("--akka-log-level", Env.AkkaLogLevel,
        "Level of Akka's own log events (any case)", (t, s) => LogLevel(t, s), () => "WARNING");

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        // Case-insensitive (a variable may say "info"), so the choices are shown rather than enforced by AcceptOnlyFromAmong.
        AkkaLogLevel.HelpName = string.Join('|', AkkaLogLevels);
        command.AddOptions(StableAfter, Port, Hostname, PublicHostname, Seeds, Parallel, Staging, MinWorkers, StoreTimeout, MaxMemory, TlsDir, AkkaLogLevel);
    }

    /// <summary>True when the member joins seeds rather than forming a cluster of its own.</summary>
    public bool HasSeeds(ParseResult p) => SplitSeeds(p.GetValue(Seeds)).Length > 0;

    /// <summary>
    /// The member's cluster options; <paramref name="hostsWorkers"/> says whether it runs layer workers. The
    /// TLS files are read here, before the member starts, so a missing or wrong one is one error naming it
    /// (a <see cref="ClusterTlsException"/>, exit code 2) rather than a member that cannot talk to its peers.
    /// </summary>
    public ZooClusterOptions Bind(ParseResult p, bool hostsWorkers, ZooCoordinatorSettings? coordinator = null)
    {
        var seeds = SplitSeeds(p.GetValue(Seeds));
        var options = new ZooClusterOptions
        {
            Hostname = p.GetValue(Hostname)!,
            PublicHostname = p.GetValue(PublicHostname),
            // A one-process run needs no fixed port: take a free one so two runs never collide.
            Port = p.GetValue(Port) ?? (seeds.Length == 0 ? FreePort() : 4053),
            Seeds = seeds,
            HostsWorkers = hostsWorkers,
            MinimumWorkers = p.GetValue(MinWorkers),
            StableAfter = Duration(p.GetValue(StableAfter)!, StableAfter.Name),
            AkkaLogLevel = p.GetValue(AkkaLogLevel)!,
            Tls = p.GetValue(TlsDir) is { } folder ? ClusterTls.Load(folder) : null,
        };
        return options with { Coordinator = (coordinator ?? options.Coordinator) with { MinimumWorkers = Math.Max(1, options.MinimumWorkers) } };
    }

    /// <summary>Layers analyzed at once: the option or WW_PARALLEL when positive, else one per core.</summary>
    public int ParallelLayers(ParseResult p) => p.GetValue(Parallel) is > 0 and var n ? n : Environment.ProcessorCount;

    /// <summary>The blob retry budget.</summary>
    public TimeSpan StoreRetryBudget(ParseResult p) => Duration(p.GetValue(StoreTimeout)!, StoreTimeout.Name);

    /// <summary>The staging folder.</summary>
    public string StagingFolder(ParseResult p) => p.GetValue(Staging)!;

    /// <summary>A duration kept as written, checked at parse time so that a bad value fails there (converted when bound).</summary>
    private static string CheckedDuration(string text, string source)
    {
        Duration(text, source);
        return text;
    }

    /// <summary>A duration as Akka writes them: <c>5s</c>, <c>1500ms</c>, or plain seconds.</summary>
    /// <exception cref="ArgumentException">Not a positive duration.</exception>
    public static TimeSpan Duration(string text, string option)
    {
        string t = text.Trim();
        bool millis = t.EndsWith("ms", StringComparison.Ordinal);
        string number = millis ? t[..^2] : t.TrimEnd('s');
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) || !(value > 0))
        {
            throw new ArgumentException($"{option} must be a positive duration such as 5s or 1500ms, not '{text}'");
        }
        return TimeSpan.FromSeconds(millis ? value / 1000 : value);
    }

    private static string[] SplitSeeds(string? text) =>
        (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>An Akka log level in any case, as Akka spells it.</summary>
    private static string LogLevel(string text, string source) =>
        AkkaLogLevels.FirstOrDefault(l => l.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"{source} must be {string.Join(", ", AkkaLogLevels[..^1])} or {AkkaLogLevels[^1]}, not '{text}'");

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
