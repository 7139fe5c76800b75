using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure.Storage.Blobs;

namespace WeightWatcher.Testing;

/// <summary>
/// One Azurite blob emulator for a test assembly, on a free loopback port with its data in a temporary folder.
/// Tests call <see cref="CreateContainerClient"/>, which skips them, saying how to install Azurite, when it is
/// not installed (fails them under CI=true, where .ci/run installs it: <see cref="Prerequisite"/>), and fails them
/// with Azurite's output when it is installed but did not start. Plain HTTP
/// with shared keys; a subclass can add arguments (HTTPS, OAuth) and client options. An instance of a test's
/// own can be stopped and started again on the same port and data folder (<see cref="StopAsync"/>,
/// <see cref="StartAgainAsync"/>), for outages.
/// </summary>
public class AzuriteFixture : IAsyncLifetime
{
    /// <summary>The emulator's well-known development account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>The emulator's well-known (public, not secret) development account key.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>How CI and fresh machines install the pinned emulator (run in the repository root).</summary>
    public const string InstallCommand = "bash .ci/npm-tools/install";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _dataFolder;
    private string? _missing;
    private string? _startFailure;

    /// <summary>Loopback port the emulator listens on (0 until started).</summary>
    public int Port { get; private set; }

    /// <summary>How long the last start took, from the process's start to its port answering (seconds on a busy machine).</summary>
    public TimeSpan LastStartTime { get; private set; }

    /// <summary>The azurite-blob executable in use, or null when none was found.</summary>
    public string? Executable { get; private set; }

    /// <summary>http, or https for a subclass that serves a certificate.</summary>
    public virtual string Scheme => "http";

    /// <summary>The development account's endpoint on this emulator.</summary>
    public string AccountEndpoint => $"{Scheme}://127.0.0.1:{Port}/{AccountName}";

    /// <summary>Connection string for the development account on this emulator.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol={Scheme};AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={AccountEndpoint};";

    /// <summary>Client for container <paramref name="name"/> (not created); skips the calling test when Azurite is not installed.</summary>
    public BlobContainerClient CreateContainerClient(string name)
    {
        EnsureRunning();
        return ClientOptions() is { } options ? new BlobContainerClient(ConnectionString, name, options) : new BlobContainerClient(ConnectionString, name);
    }

    /// <summary>Azurite arguments beyond host, port, location and the loose flags.</summary>
    protected virtual IEnumerable<string> ExtraArguments() => [];

    /// <summary>Options of the clients <see cref="CreateContainerClient"/> makes (null: the SDK's defaults).</summary>
    protected virtual BlobClientOptions? ClientOptions() => null;

    /// <summary>Skips the calling test when Azurite is not installed; fails it when Azurite did not start.</summary>
    public void EnsureRunning()
    {
        if (_missing is not null)
        {
            Prerequisite.Missing(_missing);
        }
        if (_startFailure is not null)
        {
            throw new InvalidOperationException(_startFailure);
        }
    }

    /// <summary>Starts the emulator, if installed, and waits until its port answers.</summary>
    public virtual async ValueTask InitializeAsync()
    {
        Executable = FindExecutable();
        if (Executable is null)
        {
            // Reported when a test asks for the emulator: a skip, or a failure under CI=true.
            _missing = $"Azurite is not installed: run `{InstallCommand}` in the repository root, or set WW_AZURITE to an azurite-blob executable";
            return;
        }
        Port = FreePorts.Next();
        _dataFolder = Directory.CreateTempSubdirectory("ww-azurite-").FullName;
        _startFailure = await StartProcessAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the emulator as an outage would, keeping its data: SIGTERM, on which it closes its port and saves
    /// its metadata (saved every 5 s otherwise: a SIGKILL alone would lose the last writes, which no real blob
    /// service does), then SIGKILL once it says it has closed, since it lingers while clients keep idle
    /// connections open (at most 15 s after the SIGTERM). Use on an instance of your own, never on a fixture other
    /// tests share. Returns when the process is gone.
    /// </summary>
    public async Task StopAsync()
    {
        EnsureRunning();
        var process = _process!;
        if (process.HasExited)
        {
            return;
        }
        int closedBefore = Count(ClosedMessage);
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync().ConfigureAwait(false);
        }
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && Count(ClosedMessage) == closedBefore && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(50).ConfigureAwait(false);
        }
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
        await process.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>Starts the emulator again after <see cref="StopAsync"/>: same port, same data folder; returns once the port answers.</summary>
    public async Task StartAgainAsync()
    {
        EnsureRunning();
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("Azurite is still running");
        }
        _process?.Dispose();
        _process = null;
        if (await StartProcessAsync().ConfigureAwait(false) is { } failure)
        {
            throw new InvalidOperationException(failure);
        }
    }

    /// <summary>Starts the process on <see cref="Port"/> over the data folder; null once it listens, else why not.</summary>
    private async Task<string?> StartProcessAsync()
    {
        var start = new ProcessStartInfo(Executable!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(), "--location", _dataFolder!, "--silent", "--loose", "--skipApiVersionCheck" }.Concat(ExtraArguments()))
        {
            start.ArgumentList.Add(argument);
        }
        var clock = Stopwatch.StartNew();
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"Azurite ({Executable}) could not be started: {e.Message}";
        }
        // Drained continuously: a full pipe would block the emulator; the text explains a failed start.
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var failure = await WaitForPortAsync().ConfigureAwait(false);
        LastStartTime = clock.Elapsed;
        return failure;
    }

    /// <summary>Stops the emulator (its whole process tree) and deletes its data folder.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
            {
                // Already gone, or it ignores the kill: nothing more a test run can do about it.
            }
            _process.Dispose();
        }
        if (_dataFolder is not null && Directory.Exists(_dataFolder))
        {
            try
            {
                Directory.Delete(_dataFolder, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a dying process: the temporary folder is the system's to clean.
            }
        }
    }

    private async Task<string?> WaitForPortAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process!.HasExited)
            {
                return $"Azurite ({Executable}) exited with code {_process.ExitCode} before listening on 127.0.0.1:{Port}. Output:\n{Output()}";
            }
            using var client = new TcpClient();
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await client.ConnectAsync(IPAddress.Loopback, Port, attempt.Token).ConfigureAwait(false);
                return null;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
        return $"Azurite ({Executable}) did not listen on 127.0.0.1:{Port} within {StartTimeout.TotalSeconds:0} s. Output:\n{Output()}";
    }

    /// <summary>What Azurite prints once its port is closed and its metadata saved.</summary>
    private const string ClosedMessage = "Azurite Blob service successfully closed";

    private int Count(string text)
    {
        lock (_output)
        {
            return _output.ToString().Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));
        }
    }

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

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    /// <summary>WW_AZURITE, else the repository's own install under .tools, else azurite-blob on PATH.</summary>
    private static string? FindExecutable()
    {
        var configured = Environment.GetEnvironmentVariable("WW_AZURITE");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            // Used even when missing, so a wrong setting fails the tests instead of silently skipping them.
            return Path.GetFullPath(configured);
        }
        if (Repository.FindRoot(AppContext.BaseDirectory) is { } root)
        {
            var local = Path.Combine(root, ".tools", "node_modules", ".bin", "azurite-blob");
            if (File.Exists(local))
            {
                return local;
            }
        }
        var names = OperatingSystem.IsWindows() ? new[] { "azurite-blob.cmd", "azurite-blob.exe" } : new[] { "azurite-blob" };
        return names.Select(Prerequisite.OnPath).FirstOrDefault(found => found is not null);
    }
}
