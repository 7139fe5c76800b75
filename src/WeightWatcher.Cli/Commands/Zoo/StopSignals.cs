using System.Runtime.InteropServices;
using Serilog;

namespace WeightWatcher.Cli.Commands.Zoo;

/// <summary>
/// SIGTERM and SIGINT for a command that runs a cluster member (<c>ww zoo run</c>, <c>ww node</c>): the
/// first signal cancels <see cref="Token"/>, so the command leaves the cluster through coordinated shutdown
/// and exits with 128 + the signal's number (143 after SIGTERM, as Kubernetes expects, 130 after Ctrl-C).
/// Should leaving take longer than <see cref="Bound"/>, or a second signal come, the process exits at once
/// with that code: a stop request always ends the process.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    /// <summary>The longest a member may take to leave after a stop signal.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration[] _registrations;
    private int _exitCode;

    /// <summary>Takes SIGTERM and SIGINT from the default handlers (which would end the process at once).</summary>
    /// <param name="linked">Another reason to stop (the command's own token).</param>
    public StopSignals(CancellationToken linked)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(linked);
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => OnSignal(c, "SIGTERM", 15)),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, c => OnSignal(c, "SIGINT", 2)),
        ];
    }

    /// <summary>Cancelled by the first stop signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>128 + the number of the signal received, or null when none came.</summary>
    public int? ExitCode => Volatile.Read(ref _exitCode) is var c && c != 0 ? c : null;

    private void OnSignal(PosixSignalContext context, string name, int number)
    {
        context.Cancel = true;
        int code = 128 + number;
        if (Interlocked.CompareExchange(ref _exitCode, code, 0) != 0)
        {
            Console.Error.WriteLine($"ww: {name} again: exiting now");
            Exit(Volatile.Read(ref _exitCode));
        }
        Console.Error.WriteLine($"ww: {name}: leaving the cluster (at most {Bound.TotalSeconds:0} s)");
        Log.Information("{Signal} received: leaving the cluster", name);
        _ = Task.Delay(Bound).ContinueWith(_ =>
        {
            Console.Error.WriteLine($"ww: the member did not stop within {Bound.TotalSeconds:0} s of {name}: exiting");
            Exit(code);
        }, TaskScheduler.Default);
        _stop.Cancel();
    }

    private static void Exit(int code)
    {
        Log.CloseAndFlush();
        Environment.Exit(code);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }
        _stop.Dispose();
    }
}
