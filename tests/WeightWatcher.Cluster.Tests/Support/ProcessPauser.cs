using System.Diagnostics;
using System.Runtime.InteropServices;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// Freezes a process again and again: SIGSTOP, <c>pause</c>, SIGCONT, <c>run</c>, until disposed. While
/// frozen the process sends nothing and reads nothing: the messages others send it wait in its socket
/// buffers, and those it would send wait in it. So every message to or from it is held up to the pause,
/// in bursts rather than by a constant amount, and it computes at the fraction <c>run / (pause + run)</c>
/// of its speed. This is a node stalled by CPU throttling (a container over its CPU quota) or by long
/// stop-the-world pauses, the userspace stand-in for a slow link where tc netem is not available.
/// </summary>
internal sealed class ProcessPauser : IDisposable
{
    // Linux's numbers (x64 and arm64).
    private const int SigStop = 19;
    private const int SigCont = 18;

    private readonly WwProcess _process;
    private readonly TimeSpan _pause;
    private readonly TimeSpan _run;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly List<double> _frozenMs = [];

    public ProcessPauser(WwProcess process, TimeSpan pause, TimeSpan run)
    {
        _process = process;
        _pause = pause;
        _run = run;
        // A thread of its own at high priority: the pauses should be as long as asked on a busy machine.
        _thread = new Thread(Loop) { IsBackground = true, Name = "process-pauser", Priority = ThreadPriority.Highest };
        _thread.Start();
    }

    /// <summary>Pauses done so far.</summary>
    public int Pauses { get { lock (_frozenMs) { return _frozenMs.Count; } } }

    /// <summary>The longest pause so far, as measured (ms).</summary>
    public double LongestMs { get { lock (_frozenMs) { return _frozenMs.Count > 0 ? _frozenMs.Max() : 0; } } }

    /// <summary>The mean pause so far, as measured (ms).</summary>
    public double MeanMs { get { lock (_frozenMs) { return _frozenMs.Count > 0 ? _frozenMs.Average() : 0; } } }

    /// <summary>Stops pausing and leaves the process running.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        if (!_process.HasExited)
        {
            Signal(SigCont);
        }
        _stop.Dispose();
    }

    private void Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            var frozen = Stopwatch.StartNew();
            // Never a signal to a process that has exited: its id may already be another's.
            if (_process.HasExited || !Signal(SigStop))
            {
                return;
            }
            _stop.Token.WaitHandle.WaitOne(_pause);
            Signal(SigCont);
            lock (_frozenMs)
            {
                _frozenMs.Add(frozen.Elapsed.TotalMilliseconds);
            }
            _stop.Token.WaitHandle.WaitOne(_run);
        }
    }

    private bool Signal(int signal) => Kill(_process.Id, signal) == 0;

    // DllImport rather than LibraryImport: the generated stub needs unsafe code, which this project does not allow.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
