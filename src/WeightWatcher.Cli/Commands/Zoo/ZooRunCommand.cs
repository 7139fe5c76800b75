using System.CommandLine;
using System.Text.Json;
using Serilog;
using WeightWatcher.Cluster.Coordination;
using WeightWatcher.Cluster.Hosting;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Storage;

namespace WeightWatcher.Cli.Commands.Zoo;

/// <summary>
/// <c>ww zoo run</c>: analyze every model of a zoo on the cluster and write layers/models/series reports
/// and a manifest. With no arguments: a one-process cluster over the demo zoo (NuGet-shipped models).
/// </summary>
internal static class ZooRunCommand
{
    public static Command Create()
    {
        var store = new Option<string?>("--store") { Description = "Models store: a folder, az://<container> (connection string from WW_BLOB_CONNECTION_STRING or AZURE_STORAGE_CONNECTION_STRING) or a container URI (default: the demo zoo)" };
        var models = new Option<string?>("--models") { Description = "Prefix of the models in the store (default: the whole store; models/ for the demo zoo)" };
        var results = new Option<string>("--results") { Description = "Prefix of the results in the result store", DefaultValueFactory = _ => "results/" };
        var resultStore = new Option<string?>("--result-store") { Description = "Store for the results when not the models store (e.g. a writable folder beside a read-only zoo)" };
        var catalog = new Option<string?>("--catalog") { Description = "Catalog CSV (model,series,top1_acc[,file,...]): a store path or a local file (default: zoo.csv or catalog.csv beside the models)" };
        var work = new Option<bool>("--work") { Description = "With --seeds: also host layer workers in this process" };
        var maxInFlight = new Option<int>("--max-in-flight") { Description = "Layer tasks sent and not yet answered, at most", DefaultValueFactory = _ => 16 };
        var taskTimeout = new Option<int>("--task-timeout") { Description = "Seconds before an unanswered layer task is sent again", DefaultValueFactory = _ => 300 };
        var analysis = new AnalysisOptionSet();
        var cluster = new ClusterOptionSet();
        var command = new Command("run", "Analyze every model of a zoo on the cluster: layers.csv, models.csv, series.csv (+ JSON, Parquet) and manifest.json in the result store")
        {
            store, models, results, resultStore, catalog, work, maxInFlight, taskTimeout,
        };
        analysis.AddTo(command, analysisOptions: true);
        cluster.AddTo(command);
        command.SetAction((p, cancellation) => CliErrors.RunAsync(() => RunAsync(p, cancellation)));
        return command;

        async Task<int> RunAsync(ParseResult p, CancellationToken cancellation)
        {
            string? storeSpec = p.GetValue(store);
            string? modelsPrefix = p.GetValue(models);
            if (storeSpec is null)
            {
                string folder = DemoZoo.DefaultFolder;
                int count = DemoZoo.Materialize(folder);
                Console.Error.WriteLine($"demo zoo: {count} models in {Path.Combine(folder, "models")}");
                storeSpec = folder;
                modelsPrefix ??= DemoZoo.ModelsPrefix;
            }
            storeSpec = Absolute(storeSpec);
            string? resultSpec = p.GetValue(resultStore) is { } r ? Absolute(r) : null;
            var options = analysis.Bind(p);
            var invalid = options.Validate();
            if (invalid.Count > 0)
            {
                Console.Error.WriteLine("error: " + string.Join("; ", invalid));
                return CliErrors.BadInput;
            }
            try
            {
                // Open the stores here first: a wrong path or missing credentials is a one-line error, not a stuck job.
                StoreFactory.Create(storeSpec).Dispose();
                StoreFactory.Create(resultSpec ?? storeSpec, createIfMissing: true).Dispose();
            }
            catch (StoreException e)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return CliErrors.BadInput;
            }
            var settings = new ZooCoordinatorSettings(p.GetValue(maxInFlight), TimeSpan.FromSeconds(p.GetValue(taskTimeout)), MaxAttempts: 3);
            bool hasSeeds = !string.IsNullOrEmpty(p.GetValue(cluster.Seeds) ?? Environment.GetEnvironmentVariable("WW_SEEDS"));
            var clusterOptions = cluster.Bind(p, hostsWorkers: !hasSeeds || p.GetValue(work), settings);
            var spec = new ZooJobSpec(
                $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}",
                storeSpec, modelsPrefix ?? "", resultSpec, p.GetValue(results) ?? "results/", p.GetValue(catalog), options, DateTimeOffset.UtcNow, clusterOptions.Coordinator);

            await using var host = await ZooHost.StartAsync(clusterOptions, cluster.ParallelLayers(p), cluster.StagingFolder(p), cancellation);
            var coordinator = await host.CoordinatorAsync(cancellation);
            var display = new ZooProgressDisplay();
            Log.Information("Submitting zoo job {JobId}", spec.JobId);
            var status = await ZooJobClient.RunAsync(coordinator, spec, display.Show, cancellation: cancellation);
            display.Finish();
            if (status.Phase == JobPhase.Failed)
            {
                Console.Error.WriteLine($"error: zoo job {spec.JobId} failed: {status.Message}");
                return CliErrors.BadInput;
            }
            return await PrintSummaryAsync(host, spec);
        }
    }

    private static async Task<int> PrintSummaryAsync(ZooHost host, ZooJobSpec spec)
    {
        var store = host.Services.ResultStore(spec.Location);
        var layout = new ResultLayout(spec.ResultsPrefix);
        await using var stream = await store.OpenReadAsync(layout.Manifest);
        var manifest = await JsonSerializer.DeserializeAsync<JobManifest>(stream, ZooReporting.ManifestJson)
            ?? throw new IOException("empty manifest");
        var c = manifest.Counts;
        string where = store.LocalRoot is { } root ? Path.Combine(root, layout.Prefix) : $"{store.Description} {layout.Prefix}";
        Console.WriteLine($"zoo job {manifest.JobId}: {c.Models} models, {c.Layers} layers ({c.LayersAnalyzed} analyzed, {c.LayersCached} from earlier runs, {c.LayersFailed} failed) in {manifest.Timings.Total:F1} s");
        Console.WriteLine($"results: {where}");
        foreach (var report in manifest.Reports.Append(layout.Manifest))
        {
            Console.WriteLine($"  {report[layout.Prefix.Length..]}");
        }
        foreach (var failure in manifest.Failures.Take(20))
        {
            Console.Error.WriteLine($"failed: {failure.Model}{(failure.Layer is null ? "" : $" layer {failure.Layer}")}: {failure.Reason}");
        }
        if (manifest.Failures.Count > 20)
        {
            Console.Error.WriteLine($"... and {manifest.Failures.Count - 20} more failures (see manifest.json)");
        }
        return manifest.Failures.Count == 0 ? CliErrors.Success : CliErrors.PartialFailure;
    }

    /// <summary>Folder specs become absolute, so every member resolves them alike.</summary>
    private static string Absolute(string spec) =>
        spec.Contains("://", StringComparison.Ordinal) ? spec : Path.GetFullPath(spec);
}
