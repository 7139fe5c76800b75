using Akka.Actor;
using WeightWatcher.Cluster.Protocol;

namespace WeightWatcher.Cluster.Hosting;

/// <summary>
/// Submits a job to the coordinator singleton and follows it to the end. The singleton may move while
/// the job runs (its node died): the client keeps asking through the proxy, and submits the same job
/// again if the new coordinator has not resumed it yet (submitting is idempotent by job id). A job that
/// does the same work (<see cref="ZooJobSpec.WorkKey"/>) already running on the cluster, because its
/// submitter was killed and the job submitted again, is followed instead of refused; attaching follows
/// (or reports) such a job without ever submitting one.
/// </summary>
public static class ZooJobClient
{
    /// <summary>How long an attaching client takes a coordinator's "no such job" for a coordinator still reading the job register.</summary>
    private static readonly TimeSpan AttachPatience = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs <paramref name="spec"/> and returns its final status (Finished or Failed), whose job id is the
    /// one followed: <paramref name="spec"/>'s own, or that of the running job doing its work.
    /// </summary>
    /// <param name="coordinator">The coordinator singleton's proxy.</param>
    /// <param name="spec">The job.</param>
    /// <param name="onStatus">Called with each status of the followed job.</param>
    /// <param name="pollInterval">Time between status requests (default 250 ms).</param>
    /// <param name="cancellation">Stops following (the job goes on on the cluster).</param>
    /// <param name="attach">Never submit: follow the running or last job doing <paramref name="spec"/>'s work; fail when there is none.</param>
    public static async Task<JobStatus> RunAsync(IActorRef coordinator, ZooJobSpec spec, Action<JobStatus>? onStatus = null, TimeSpan? pollInterval = null, CancellationToken cancellation = default, bool attach = false)
    {
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(250);
        var ask = TimeSpan.FromSeconds(5);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string jobId = spec.JobId;
        IZooMessage next = attach ? GetJobStatus.Instance : new SubmitJob(spec);
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            JobStatus? status = null;
            try
            {
                status = await coordinator.Ask<JobStatus>(next, ask, cancellation).ConfigureAwait(false);
            }
            catch (AskTimeoutException)
            {
                // The singleton is starting or moving to another node: ask again.
            }
            if (status is not null)
            {
                bool running = status.Phase is JobPhase.Planning or JobPhase.Analyzing or JobPhase.Reporting;
                if (status.JobId != jobId && status.JobId is not null && status.WorkKey == spec.WorkKey && (running || attach))
                {
                    Serilog.Log.Information("Following job {JobId} ({Phase}), which does this zoo's work", status.JobId, status.Phase);
                    jobId = status.JobId;
                }
                if (status.JobId == jobId)
                {
                    onStatus?.Invoke(status);
                    if (status.Phase is JobPhase.Finished or JobPhase.Failed)
                    {
                        return status;
                    }
                    next = GetJobStatus.Instance;
                }
                else if (running)
                {
                    throw new JobRefusedException(status.Message ?? $"another job ({status.JobId}) is running on the cluster");
                }
                else if (attach)
                {
                    if (clock.Elapsed > AttachPatience)
                    {
                        throw new JobRefusedException(status.JobId is null
                            ? "no job has run on this cluster since it started: nothing to attach to"
                            : $"the cluster's last job ({status.JobId}, {status.Phase}) is not this zoo's work: nothing to attach to");
                    }
                }
                else
                {
                    // A coordinator that does not know this job (it just took over): submit it again.
                    next = new SubmitJob(spec);
                }
            }
            await Task.Delay(interval, cancellation).ConfigureAwait(false);
        }
    }
}

/// <summary>The cluster would not run or show the job: another job is running, or there is none to attach to.</summary>
public sealed class JobRefusedException(string message) : Exception(message);
