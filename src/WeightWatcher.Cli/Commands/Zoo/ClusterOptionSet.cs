using System.CommandLine;
using WeightWatcher.Cluster.Coordination;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Hosting;

namespace WeightWatcher.Cli.Commands.Zoo;

/// <summary>
/// Options of a cluster member, shared by <c>ww zoo run</c> and <c>ww node</c>. Each falls back to an
/// environment variable (WW_PORT, WW_SEEDS, ...) so a Kubernetes pod spec can set them without arguments.
/// </summary>
internal sealed class ClusterOptionSet
{
    public Option<int?> Port { get; } = new("--port") { Description = "Akka.Remote port of this member (env WW_PORT; default 4053, or a free port for a one-process run)" };

    public Option<string?> Hostname { get; } = new("--hostname") { Description = "Interface to bind (env WW_HOSTNAME; default 127.0.0.1; 0.0.0.0 in containers)" };

    public Option<string?> PublicHostname { get; } = new("--public-hostname") { Description = "Address other members reach this one at, e.g. a pod's DNS name (env WW_PUBLIC_HOSTNAME)" };

    public Option<string?> Seeds { get; } = new("--seeds") { Description = "Seed members as host:port,host:port (env WW_SEEDS); none: form a one-process cluster" };

    public Option<int> Parallel { get; } = new("--parallel") { Description = "Layers analyzed at once on this member (env WW_PARALLEL; default: the number of cores)" };

    public Option<string?> Staging { get; } = new("--staging") { Description = "Folder for node-local copies of models held in blob storage (env WW_STAGING)" };

    public Option<int?> MinWorkers { get; } = new("--min-workers") { Description = "Worker members a new job waits for before its layers are handed out, so the first worker does not take them all (env WW_MIN_WORKERS; default 1). A job resumed after its coordinator moved does not wait again" };

    public Option<string?> StableAfter { get; } = new("--stable-after") { Description = "How long membership must be stable before the split-brain resolver downs unreachable members, e.g. 5s or 1500ms (env WW_STABLE_AFTER; default 5s)" };

    public void AddTo(Command command)
    {
        command.Options.Add(StableAfter);
        command.Options.Add(Port);
        command.Options.Add(Hostname);
        command.Options.Add(PublicHostname);
        command.Options.Add(Seeds);
        command.Options.Add(Parallel);
        command.Options.Add(Staging);
        command.Options.Add(MinWorkers);
    }

    /// <summary>The member's cluster options; <paramref name="hostsWorkers"/> says whether it runs layer workers.</summary>
    public ZooClusterOptions Bind(ParseResult p, bool hostsWorkers, ZooCoordinatorSettings? coordinator = null)
    {
        var seeds = (p.GetValue(Seeds) ?? Env("WW_SEEDS") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int? port = p.GetValue(Port) ?? (int.TryParse(Env("WW_PORT"), out int envPort) ? envPort : null);
        var options = new ZooClusterOptions
        {
            Hostname = p.GetValue(Hostname) ?? Env("WW_HOSTNAME") ?? "127.0.0.1",
            PublicHostname = p.GetValue(PublicHostname) ?? Env("WW_PUBLIC_HOSTNAME"),
            // A one-process run needs no fixed port: take a free one so two runs never collide.
            Port = port ?? (seeds.Length == 0 ? FreePort() : 4053),
            Seeds = seeds,
            HostsWorkers = hostsWorkers,
            MinimumWorkers = p.GetValue(MinWorkers) ?? (int.TryParse(Env("WW_MIN_WORKERS"), out int min) ? min : 1),
            StableAfter = Duration(p.GetValue(StableAfter) ?? Env("WW_STABLE_AFTER") ?? "5s", "--stable-after"),
            AkkaLogLevel = AkkaLogLevel(Env("WW_AKKA_LOG_LEVEL")),
        };
        return options with { Coordinator = (coordinator ?? options.Coordinator) with { MinimumWorkers = Math.Max(1, options.MinimumWorkers) } };
    }

    public int ParallelLayers(ParseResult p) =>
        p.GetValue(Parallel) is > 0 and var n ? n : int.TryParse(Env("WW_PARALLEL"), out int e) && e > 0 ? e : Environment.ProcessorCount;

    public string StagingFolder(ParseResult p) =>
        p.GetValue(Staging) ?? Env("WW_STAGING") ?? Path.Combine(Path.GetTempPath(), "ww-staging");

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

    /// <summary>WW_AKKA_LOG_LEVEL as Akka spells its levels; unset: warnings only.</summary>
    /// <exception cref="ArgumentException">Not an Akka log level.</exception>
    private static string AkkaLogLevel(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        null => "WARNING",
        "DEBUG" or "INFO" or "WARNING" or "ERROR" or "OFF" => value.Trim().ToUpperInvariant(),
        _ => throw new ArgumentException($"WW_AKKA_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or OFF, not '{value}'"),
    };

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
