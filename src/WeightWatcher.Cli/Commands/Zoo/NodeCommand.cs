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
            await using var host = await ZooHost.StartAsync(options, cluster.ParallelLayers(p), cluster.StagingFolder(p), cancellation);
            Console.Error.WriteLine($"ww node listening on {options.PublicHostname ?? options.Hostname}:{options.Port}; seeds {string.Join(",", options.SeedAddresses())}");
            await host.WaitForShutdownAsync(cancellation);
            Log.Information("ww node on port {Port} stopping", options.Port);
            return CliErrors.Success;
        }));
        return command;
    }
}
