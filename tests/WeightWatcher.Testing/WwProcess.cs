using System.Diagnostics;
using System.Text;

namespace WeightWatcher.Testing;

/// <summary>
/// A real <c>ww</c> process (the built CLI, run with <c>dotnet ww.dll</c>) for the test projects
/// that reference the CLI (its ww.dll lands in their output): started with its own
/// arguments and environment, its output captured, killed with SIGKILL when a test wants a node to die.
/// </summary>
public sealed class WwProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly string _args;

    private WwProcess(Process process, string args)
    {
        _process = process;
        _args = args;
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Process id.</summary>
    public int Id => _process.Id;

    /// <summary>Output so far.</summary>
    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    /// <summary>Error output so far.</summary>
    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>When the process exited (local time, as <see cref="Process.ExitTime"/>); null while it runs.</summary>
    public DateTime? ExitTime => _process.HasExited ? _process.ExitTime : null;

    /// <summary>Starts <c>ww args</c> with extra environment variables.</summary>
    public static WwProcess Start(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartUnder([], environment, args);

    /// <summary>
    /// Starts <c>ww args</c> through <paramref name="launcher"/>, a command that ends by exec'ing the
    /// command line it is given (e.g. <c>sh -c 'echo $$ > cgroup.procs; exec "$@"' sh</c>), so that the
    /// process it starts is the <c>ww</c> process (same id) with something already set up around it.
    /// </summary>
    public static WwProcess StartUnder(IReadOnlyList<string> launcher, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "ww.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the CLI project must be referenced by the test project");
        var psi = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var part in launcher.Skip(1).Concat(launcher.Count > 0 ? ["dotnet"] : []))
        {
            psi.ArgumentList.Add(part);
        }
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["WW_LOG_LEVEL"] = "Information";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        return new WwProcess(Process.Start(psi)!, string.Join(' ', args));
    }

    /// <summary>Runs <c>ww args</c> to the end (at most two minutes), logging warnings only, as a user's run does.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) =>
        Run(TimeSpan.FromMinutes(2), new Dictionary<string, string> { ["WW_LOG_LEVEL"] = "Warning" }, args);

    /// <summary>Runs <c>ww args</c> to the end (at most <paramref name="timeout"/>).</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var p = Start(environment, args);
        int code = p.WaitForExit(timeout);
        return (code, p.Stdout, p.Stderr);
    }

    /// <summary>Waits for the exit code; fails the test (after killing the process) on timeout.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            Assert.Fail($"ww {_args} did not finish within {timeout.TotalSeconds:0} s\nstdout:\n{Stdout}\nstderr:\n{Tail(Stderr)}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the node dies at once, without leaving the cluster.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>The last lines of a log, for failure messages.</summary>
    public static string Tail(string text, int lines = 60) => string.Join('\n', text.Split('\n').TakeLast(lines));

    /// <inheritdoc />
    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (sb)
        {
            sb.AppendLine(line);
        }
    }
}
