using System.Diagnostics;
using System.Text;

namespace WeightWatcher.Deploy.Tests.Support;

/// <summary>A process left running while the test does other things (an attached <c>podman run</c>), its output captured.</summary>
public sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/>.</summary>
    public BackgroundProcess(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Both outputs so far, interleaved.</summary>
    public string Output { get { lock (_output) { return _output.ToString(); } } }

    /// <summary>True once it has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code; fails the test (after killing the process) on timeout.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"did not finish within {timeout}:\n{Output}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    /// <summary>A loopback TCP port nothing listens on right now.</summary>
    public static int FreePort() => FreePorts.Next();

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
