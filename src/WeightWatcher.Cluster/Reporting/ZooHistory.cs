using System.Text.Json;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Reports.History;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Reporting;

/// <summary>
/// What a run records for the next ones: its snapshot (<c>state/runs/&lt;job&gt;.json</c>), the changes
/// since the previous run under the alert rules (<c>changes.json</c>, <c>alerts.json</c>), the history
/// rows (<c>history.parquet</c>, <c>history.csv</c>); and the retention of runs.
/// </summary>
public static class ZooHistory
{
    private static readonly Serilog.ILogger Log = Serilog.Log.ForContext(typeof(ZooHistory));

    /// <summary>Prefix of the run snapshots.</summary>
    public static string SnapshotsPrefix(ResultLayout layout) => layout.Prefix + "state/runs/";

    /// <summary>Records <paramref name="current"/> and returns the changes since the latest earlier run.</summary>
    public static async Task<(ChangeReport Changes, IReadOnlyList<HistoryRow> History)> RecordAsync(
        IModelStore store, ResultLayout layout, RunSnapshot current, IReadOnlyList<AlertRule> rules, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(current);
        var previous = await PreviousAsync(store, layout, current.JobId, cancellation).ConfigureAwait(false);
        var changes = ChangeReport.Compare(previous, current, rules);
        var existing = await RunHistory.ReadAsync(await StoreFiles.ReadAllAsync(store, layout.HistoryParquet, cancellation).ConfigureAwait(false), cancellation).ConfigureAwait(false);
        var (parquet, csv, rows) = await RunHistory.AppendAsync(existing, RunHistory.RowsOf(current, previous), cancellation).ConfigureAwait(false);
        await store.WriteAsync($"{SnapshotsPrefix(layout)}{current.JobId}.json", current.ToJson(), cancellation).ConfigureAwait(false);
        await store.WriteAsync(layout.HistoryParquet, parquet, cancellation).ConfigureAwait(false);
        await store.WriteAsync(layout.HistoryCsv, csv, cancellation).ConfigureAwait(false);
        await store.WriteAsync(layout.Changes, changes.ToJson(), cancellation).ConfigureAwait(false);
        await store.WriteAsync(layout.Alerts, changes.AlertsJson(), cancellation).ConfigureAwait(false);
        Log.Information("Run {JobId} compared with {Previous}: {New} new, {Removed} removed, {Retrained} retrained, {Unchanged} unchanged, {Alerts} alerts",
            current.JobId, changes.PreviousJobId ?? "(none)", changes.New.Count, changes.Removed.Count, changes.Retrained.Count, changes.Unchanged.Count, changes.Alerts.Count);
        return (changes, rows);
    }

    /// <summary>
    /// The snapshot of the latest run before <paramref name="jobId"/> (job ids start with their UTC start
    /// time, so ordinal order is time order); null when there is none or it is unreadable.
    /// </summary>
    public static async Task<RunSnapshot?> PreviousAsync(IModelStore store, ResultLayout layout, string jobId, CancellationToken cancellation)
    {
        string prefix = SnapshotsPrefix(layout);
        string? latest = null;
        await foreach (var entry in store.ListAsync(prefix, cancellation).ConfigureAwait(false))
        {
            string id = Path.GetFileNameWithoutExtension(entry.Path);
            if (string.CompareOrdinal(id, jobId) < 0 && (latest is null || string.CompareOrdinal(id, latest) > 0))
            {
                latest = id;
            }
        }
        if (latest is null || await StoreFiles.ReadAllAsync(store, $"{prefix}{latest}.json", cancellation).ConfigureAwait(false) is not { } bytes)
        {
            return null;
        }
        try
        {
            return RunSnapshot.FromJson(bytes);
        }
        catch (JsonException e)
        {
            Log.Warning("Snapshot of run {JobId} is unreadable ({Reason}): comparing with nothing", latest, e.Message);
            return null;
        }
    }

    /// <summary>Deletes the oldest runs beyond <paramref name="keep"/> (their folder under <c>runs/</c> and their snapshot); never <paramref name="current"/>.</summary>
    public static async Task<int> PruneAsync(IModelStore store, ResultLayout layout, int keep, string current, CancellationToken cancellation)
    {
        var byRun = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        await foreach (var entry in store.ListAsync(layout.RunsPrefix, cancellation).ConfigureAwait(false))
        {
            string rest = entry.Path[layout.RunsPrefix.Length..];
            int slash = rest.IndexOf('/');
            if (slash > 0)
            {
                (byRun.TryGetValue(rest[..slash], out var list) ? list : byRun[rest[..slash]] = []).Add(entry.Path);
            }
        }
        var old = byRun.Keys.Where(id => id != current).Reverse().Skip(Math.Max(0, keep - 1)).ToList();
        foreach (var id in old)
        {
            foreach (var path in byRun[id])
            {
                await store.DeleteAsync(path, cancellation).ConfigureAwait(false);
            }
            await store.DeleteAsync($"{SnapshotsPrefix(layout)}{id}.json", cancellation).ConfigureAwait(false);
            RemoveEmptyFolders(store, layout.Run(id));
        }
        if (old.Count > 0)
        {
            Log.Information("Deleted {Count} runs beyond --keep-runs {Keep}: {Runs}", old.Count, keep, string.Join(", ", old));
        }
        return old.Count;
    }

    /// <summary>A folder store keeps the emptied folders of deleted objects; a blob container has none to remove.</summary>
    private static void RemoveEmptyFolders(IModelStore store, string prefix)
    {
        if (store.LocalRoot is not { } root)
        {
            return;
        }
        var folder = new DirectoryInfo(Path.Combine(root, prefix));
        if (folder.Exists && !folder.EnumerateFiles("*", SearchOption.AllDirectories).Any())
        {
            folder.Delete(recursive: true);
        }
    }
}
