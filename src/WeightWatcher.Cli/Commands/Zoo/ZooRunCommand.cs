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
        var attach = new Option<bool>("--attach") { Description = "With --seeds: start no job; follow the job doing this zoo's work (same stores, prefixes, catalog and options) that runs or last ran on the cluster, and report it" };
        var taskTimeout = new Option<int>("--task-timeout") { Description = "Seconds before an unanswered layer task is sent again", DefaultValueFactory = _ => 300 };
        var reports = new ReportOptionSet();
        var analysis = new AnalysisOptionSet();
        var cluster = new ClusterOptionSet();
        var command = new Command("run", "Analyze every model of a zoo on the cluster: layers.csv, models.csv, series.csv (+ JSON, Parquet) and manifest.json in the result store")
        {
            store, models, results, resultStore, catalog, work, maxInFlight, taskTimeout, attach,
        };
        analysis.AddTo(command, analysisOptions: true);
        reports.AddTo(command);
        cluster.AddTo(command);
        command.SetAction((p, cancellation) => CliErrors.RunAsync(() => RunAsync(p, cancellation)));
        return command;

        async Task<int> RunAsync(ParseResult p, CancellationToken cancellation)
        {
            if (p.GetValue(attach) && !cluster.HasSeeds(p))
            {
                throw new CliFailure(CliErrors.BadInput, "--attach follows a job on a running cluster: give its --seeds");
            }
            bool hostsWorkers = !cluster.HasSeeds(p) || p.GetValue(work);
            if (hostsWorkers)
            {
                Native.BackendNotice.PrintIfManaged();
            }
            var options = analysis.Bind(p);
            var invalid = options.Validate();
            if (invalid.Count > 0)
            {
                throw new CliFailure(CliErrors.BadInput, string.Join("; ", invalid));
            }
            var reportSettings = reports.Bind(p);
            var settings = new ZooCoordinatorSettings(p.GetValue(maxInFlight), TimeSpan.FromSeconds(p.GetValue(taskTimeout)), MaxAttempts: 3);
            var clusterOptions = cluster.Bind(p, hostsWorkers, settings);

            // The member starts while the stores are checked (and the demo zoo materialised): its start-up is
            // the larger part of a run with nothing to analyze, and it needs neither.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var signals = new StopSignals(cancellation);
            var stop = signals.Token;
            var starting = Task.Run(() => ZooHost.StartAsync(clusterOptions, cluster.ParallelLayers(p), cluster.StagingFolder(p), cluster.StoreRetryBudget(p), p.GetValue(cluster.MaxMemory), stop), stop);
            ZooJobSpec spec;
            try
            {
                spec = Locate(p, options, clusterOptions.Coordinator, reportSettings);
            }
            catch
            {
                await (await starting).DisposeAsync();
                throw;
            }
            ZooHost host;
            try
            {
                host = await starting;
            }
            catch (OperationCanceledException) when (signals.ExitCode is { } signalled)
            {
                throw new CliFailure(signalled, $"zoo job {spec.JobId} not started: stopped by a signal while the member was starting");
            }
            double started = double.NaN;
            JobManifest? manifest = null;
            CliFailure? failed = null;
            int code = CliErrors.BadInput;
            try
            {
                var display = new ZooProgressDisplay();
                var status = await WhileMemberRunsAsync(host, signals, spec, async () =>
                {
                    var coordinator = await host.CoordinatorAsync(stop);
                    Log.Information(p.GetValue(attach) ? "Attaching to the job doing the work of {JobId}" : "Submitting zoo job {JobId}", spec.JobId);
                    try
                    {
                        return await ZooJobClient.RunAsync(coordinator, spec, s =>
                        {
                            if (double.IsNaN(started))
                            {
                                started = clock.Elapsed.TotalSeconds;
                            }
                            display.Show(s);
                        }, host.IsClusterOfOne ? ClusterOfOnePoll : null, stop, p.GetValue(attach));
                    }
                    catch (JobRefusedException e)
                    {
                        throw new CliFailure(CliErrors.BadInput, e.Message);
                    }
                });
                display.Finish();
                // The job followed may be another submission of the same work (this one's submitter was killed).
                spec = status is null ? spec : spec with { JobId = status.JobId! };
                if (status is null && signals.ExitCode is null && host.TlsFailure is { } tls)
                {
                    failed = new CliFailure(CliErrors.BadInput, $"zoo job {spec.JobId} not run: this cluster member stopped: {tls}");
                }
                else if (status is null)
                {
                    failed = new CliFailure(signals.ExitCode ?? CliErrors.InternalError, signals.ExitCode is null
                        ? $"zoo job {spec.JobId}: this cluster member stopped (removed from the cluster) before the job finished"
                        : $"zoo job {spec.JobId} interrupted by a stop signal; layers analyzed so far are stored, and the next run of the same zoo picks up from them");
                }
                else if (status.Phase == JobPhase.Failed)
                {
                    // Thrown once the member has stopped and the timings are out, like any other ending.
                    failed = new CliFailure(CliErrors.BadInput, $"zoo job {spec.JobId} failed: {status.Message}");
                }
                else
                {
                    (code, manifest) = await PrintSummaryAsync(host, spec);
                    int alerts = await PrintAlertsAsync(host, spec);
                    code = alerts > 0 && p.GetValue(reports.FailOnAlert) ? CliErrors.AlertFired : code;
                }
            }
            finally
            {
                clock.Restart();
                await host.DisposeAsync();
            }
            new ZooRunTimings(started, manifest?.Timings, clock.Elapsed.TotalSeconds).Report();
            return failed is null ? code : throw failed;
        }

        // The job's stores (the demo zoo when none is given), opened once here so that a wrong path or missing
        // credentials is a one-line error (a StoreException, reported by CliErrors) rather than a stuck job.
        ZooJobSpec Locate(ParseResult p, Core.Analysis.AnalysisOptions options, ZooCoordinatorSettings dispatch, ZooReportSettings reportSettings)
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
            var budget = cluster.StoreRetryBudget(p);
            StoreFactory.Create(storeSpec, retryBudget: budget).Dispose();
            StoreFactory.Create(resultSpec ?? storeSpec, createIfMissing: true, retryBudget: budget).Dispose();
            return new ZooJobSpec(
                $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}",
                storeSpec, modelsPrefix ?? "", resultSpec, p.GetValue(results) ?? "results/", p.GetValue(catalog), options, DateTimeOffset.UtcNow, dispatch, reportSettings);
        }
    }

    /// <summary>
    /// Runs the job's client until it ends, a stop signal comes, or this member's actor system terminates
    /// (downed): null in the last two cases, so the command leaves instead of asking a cluster that is gone.
    /// </summary>
    private static async Task<JobStatus?> WhileMemberRunsAsync(ZooHost host, StopSignals signals, ZooJobSpec spec, Func<Task<JobStatus>> client)
    {
        var run = client();
        var ended = await Task.WhenAny(run, host.System.WhenTerminated).ConfigureAwait(false);
        try
        {
            return ended == run ? await run.ConfigureAwait(false) : null;
        }
        catch (OperationCanceledException) when (signals.ExitCode is not null)
        {
            Log.Information("Zoo job {JobId}: stop signal, leaving", spec.JobId);
            return null;
        }
    }

    /// <summary>How often a cluster of one asks its own coordinator for the job's status (in-process messages: cheap).</summary>
    private static readonly TimeSpan ClusterOfOnePoll = TimeSpan.FromMilliseconds(25);

    private static async Task<(int Code, JobManifest Manifest)> PrintSummaryAsync(ZooHost host, ZooJobSpec spec)
    {
        var store = host.Services.ResultStore(spec.Location);
        var layout = new ResultLayout(spec.ResultsPrefix);
        await using var stream = await store.OpenReadAsync(layout.Manifest);
        var manifest = await JsonSerializer.DeserializeAsync<JobManifest>(stream, ZooReporting.ManifestJson)
            ?? throw new IOException("empty manifest");
        var c = manifest.Counts;
        string where = store.LocalRoot is { } root ? Path.Combine(root, layout.Prefix) : $"{store.Description} {layout.Prefix}";
        Console.WriteLine($"zoo job {manifest.JobId}: {c.Models} models, {c.Layers} layers ({c.LayersAnalyzed} analyzed, {c.LayersCached} from earlier runs, {c.LayersFailed} failed) in {manifest.Timings.Total:F1} s");
        foreach (var backend in manifest.Backends ?? [])
        {
            Console.WriteLine($"spectra: {backend.Backend} ({backend.Layers} layers)");
        }
        Console.WriteLine($"results: {where}");
        foreach (var report in manifest.Reports.Append(layout.Manifest).Where(r => r != layout.SiteEntry))
        {
            Console.WriteLine($"  {report[layout.Prefix.Length..]}");
        }
        if (manifest.Reports.Contains(layout.SiteEntry))
        {
            Console.WriteLine($"report: {(store.LocalRoot is { } local ? Path.Combine(local, layout.SiteEntry) : $"{store.Description} {layout.SiteEntry}")}");
        }
        foreach (var failure in manifest.Failures.Take(20))
        {
            Console.Error.WriteLine($"failed: {failure.Model}{(failure.Layer is null ? "" : $" layer {failure.Layer}")}: {failure.Reason}");
        }
        if (manifest.Failures.Count > 20)
        {
            Console.Error.WriteLine($"... and {manifest.Failures.Count - 20} more failures (see manifest.json)");
        }
        return (manifest.Failures.Count == 0 ? CliErrors.Success : CliErrors.PartialFailure, manifest);
    }

    /// <summary>Prints each alert of the run on stderr; returns how many fired.</summary>
    private static async Task<int> PrintAlertsAsync(ZooHost host, ZooJobSpec spec)
    {
        var store = host.Services.ResultStore(spec.Location);
        var layout = new ResultLayout(spec.ResultsPrefix);
        if (await store.GetAsync(layout.Changes) is null)
        {
            return 0;
        }
        await using var stream = await store.OpenReadAsync(layout.Changes);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        var changes = WeightWatcher.Reports.History.ChangeReport.FromJson(copy.ToArray());
        if (changes.JobId != spec.JobId)
        {
            return 0;
        }
        foreach (var alert in changes.Alerts)
        {
            Console.Error.WriteLine($"alert: {alert.Model}: {alert.Detail} (rule {alert.Rule})");
        }
        return changes.Alerts.Count;
    }

    /// <summary>Folder specs become absolute, so every member resolves them alike.</summary>
    private static string Absolute(string spec) =>
        spec.Contains("://", StringComparison.Ordinal) ? spec : Path.GetFullPath(spec);
}
