using Akka.Actor;
using WeightWatcher.Cluster.Protocol;

namespace WeightWatcher.Cluster.Hosting;

/// <summary>
/// Submits a job to the coordinator singleton and follows it to the end. The singleton may move while
/// the job runs (its node died): the client keeps asking through the proxy, and submits the same job
/// again if the new coordinator has not resumed it yet (submitting is idempotent by job id).
/// </summary>
public static class ZooJobClient
{
    /// <summary>Runs <paramref name="spec"/> and returns its final status (Finished or Failed).</summary>
    public static async Task<JobStatus> RunAsync(IActorRef coordinator, ZooJobSpec spec, Action<JobStatus>? onStatus = null, TimeSpan? pollInterval = null, CancellationToken cancellation = default)
    {
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(250);
        var ask = TimeSpan.FromSeconds(5);
        IZooMessage next = new SubmitJob(spec);
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
                if (status.JobId == spec.JobId)
                {
                    onStatus?.Invoke(status);
                    if (status.Phase is JobPhase.Finished or JobPhase.Failed)
                    {
                        return status;
                    }
                    next = GetJobStatus.Instance;
                }
                else if (status.Phase is JobPhase.Planning or JobPhase.Analyzing or JobPhase.Reporting)
                {
                    throw new InvalidOperationException(status.Message ?? $"another job ({status.JobId}) is running on the cluster");
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
