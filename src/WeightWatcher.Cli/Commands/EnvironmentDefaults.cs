using System.Collections.Concurrent;

namespace WeightWatcher.Cli.Commands;

/// <summary>
/// The one list of the <c>WW_*</c> variables that <c>ww</c>'s options fall back to, so that a Kubernetes pod
/// spec can set a member's options without arguments. Each is read once per process (the options' default
/// factories run for help, for parsing and again for each value read) and an empty value counts as unset.
/// </summary>
internal static class EnvironmentDefaults
{
    /// <summary><c>--port</c>: the Akka.Remote port.</summary>
    public const string Port = "WW_PORT";

    /// <summary><c>--hostname</c>: the interface to bind.</summary>
    public const string Hostname = "WW_HOSTNAME";

    /// <summary><c>--public-hostname</c>: the address other members reach this one at.</summary>
    public const string PublicHostname = "WW_PUBLIC_HOSTNAME";

    /// <summary><c>--seeds</c>: the seed members.</summary>
    public const string Seeds = "WW_SEEDS";

    /// <summary><c>--parallel</c>: layers analyzed at once on a member.</summary>
    public const string Parallel = "WW_PARALLEL";

    /// <summary><c>--staging</c>: the folder for node-local copies of remote models.</summary>
    public const string Staging = "WW_STAGING";

    /// <summary><c>--min-workers</c>: the workers a new job waits for.</summary>
    public const string MinWorkers = "WW_MIN_WORKERS";

    /// <summary><c>--stable-after</c>: the split-brain resolver's stable period.</summary>
    public const string StableAfter = "WW_STABLE_AFTER";

    /// <summary><c>--akka-log-level</c>: Akka's own log level.</summary>
    public const string AkkaLogLevel = "WW_AKKA_LOG_LEVEL";

    /// <summary><c>--store-timeout</c>: how long a blob request may go on failing, retried, before the store counts as unreachable.</summary>
    public const string StoreTimeout = "WW_STORE_TIMEOUT";

    /// <summary><c>--max-memory</c>: the memory budget of the layers in flight.</summary>
    public const string MaxMemory = "WW_MAX_MEMORY";

    /// <summary><c>--tls-dir</c>: the folder of the member's TLS files (tls.crt, tls.key, ca.crt).</summary>
    public const string TlsDir = "WW_TLS_DIR";

    /// <summary><c>ww node --http-port</c>: the port of /alive, /ready and /metrics.</summary>
    public const string HttpPort = "WW_HTTP_PORT";

    /// <summary>The Serilog level of <c>ww</c>'s own log (read before the command line is parsed).</summary>
    public const string LogLevel = "WW_LOG_LEVEL";

    private static readonly ConcurrentDictionary<string, string?> Values = new(StringComparer.Ordinal);

    /// <summary>The value of <paramref name="variable"/>, read on first use; null when unset or empty.</summary>
    public static string? Get(string variable) =>
        Values.GetOrAdd(variable, v => Environment.GetEnvironmentVariable(v) is { Length: > 0 } value ? value.Trim() : null);
}
