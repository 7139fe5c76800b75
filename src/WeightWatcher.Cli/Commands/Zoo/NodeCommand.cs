using System.CommandLine;
using Serilog;

namespace WeightWatcher.Cli.Commands.Zoo;

/// <summary>
/// <c>ww node</c>: a worker member that joins the cluster and analyzes layers until it is stopped (what
/// each Kubernetes worker pod runs). It may also host the coordinator singleton.
/// </summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        var cluster = new ClusterOptionSet();
        var httpPort = CliOptions.FromEnvironment<int?>("--http-port", EnvironmentDefaults.HttpPort,
            "Port of the node's HTTP endpoint: /alive, /ready (joined: member Up, shard region registered), /metrics (Prometheus); default: none",
            (t, s) => CliOptions.PortNumber(t, s), () => null);
        var command = new Command("node", "Join a zoo cluster as a worker (layer analyses; may host the coordinator) and run until stopped");
        cluster.AddTo(command);
        command.Options.Add(httpPort);
        command.SetAction((p, cancellation) => CliErrors.RunAsync(async () =>
        {
            var options = cluster.Bind(p, hostsWorkers: true) with
            {
                HttpPort = p.GetValue(httpPort),
            };
            using var signals = new StopSignals(cancellation);
            try
            {
                await using var host = await ZooHost.StartAsync(options, cluster.ParallelLayers(p), cluster.StagingFolder(p), cluster.StoreRetryBudget(p), p.GetValue(cluster.MaxMemory), signals.Token);
                Console.Error.WriteLine($"ww node listening on {options.PublicHostname ?? options.Hostname}:{options.Port}; seeds {string.Join(",", options.SeedAddresses())}");
                await host.WaitForShutdownAsync(signals.Token);
                Log.Information("ww node on port {Port} stopping", options.Port);
                if (signals.ExitCode is null && host.TlsFailure is { } tls)
                {
                    throw new CliFailure(CliErrors.BadInput, $"ww node on port {options.Port} stopped: {tls}");
                }
            }
            catch (OperationCanceledException) when (signals.ExitCode is not null)
            {
                // Stopped while still starting (joining seeds that do not answer, say).
            }
            // Stopped by a signal: 128 + its number (143 after SIGTERM); downed by the cluster: a failure.
            return signals.ExitCode ?? throw new CliFailure(CliErrors.InternalError, $"ww node on port {options.Port} was removed from the cluster (downed) and stopped");
        }));
        return command;
    }
}
