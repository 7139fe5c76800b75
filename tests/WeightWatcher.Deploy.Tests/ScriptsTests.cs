using System.Text.RegularExpressions;
using WeightWatcher.Deploy.Tests.Support;

namespace WeightWatcher.Deploy.Tests;

/// <summary>deploy/scripts: executable, valid bash, and passing only flags ww defines.</summary>
public sealed partial class ScriptsTests
{
    public static TheoryData<string> Scripts => new("start-azurite.sh", "local-cluster.sh", "render-manifests.sh", "make-base-images.sh");

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_is_executable(string script)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes only");
        string path = Path.Combine(RepoPaths.Scripts, script);
        Assert.True(File.Exists(path), $"{path} is missing");
        Assert.StartsWith("#!/usr/bin/env bash", File.ReadAllText(path));
#pragma warning disable CA1416 // skipped on Windows above
        var mode = File.GetUnixFileMode(path);
#pragma warning restore CA1416
        Assert.True(mode.HasFlag(UnixFileMode.UserExecute), $"{script} is not executable ({mode})");
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_passes_bash_syntax_check(string script)
    {
        var result = Proc.Run("bash", ["-n", Path.Combine(RepoPaths.Scripts, script)], TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"bash -n {script}: {result.Stderr}");
    }

    [Fact]
    public void Local_cluster_starts_nodes_with_only_node_flags()
    {
        string text = File.ReadAllText(Path.Combine(RepoPaths.Scripts, "local-cluster.sh"));
        var node = Commands(text, "node");
        Assert.NotEmpty(node);
        foreach (var command in node)
        {
            var flags = Flags(command);
            Assert.All(flags, f => Assert.True(CliHelp.Node.Flags.ContainsKey(f), $"local-cluster.sh passes {f} to ww node, which does not define it"));
            Assert.Contains("--seeds", flags);
            Assert.Contains("--port", flags);
        }
        Assert.Contains("4053", text);
        Assert.Contains("seeds=\"127.0.0.1:$base\"", text);
    }

    [Fact]
    public void Local_cluster_shows_zoo_run_with_only_zoo_run_flags()
    {
        string text = File.ReadAllText(Path.Combine(RepoPaths.Scripts, "local-cluster.sh"));
        var zoo = Commands(text, "zoo run");
        Assert.NotEmpty(zoo);
        foreach (var command in zoo)
        {
            var flags = Flags(command);
            Assert.All(flags, f => Assert.True(CliHelp.ZooRun.Flags.ContainsKey(f), $"local-cluster.sh shows {f} for ww zoo run, which does not define it"));
            Assert.Contains("--seeds", flags);
            // On one machine the submitting member needs a port of its own: without one it takes 4053, the seed's.
            Assert.Contains("--port", flags);
        }
    }

    [Fact]
    public void Start_azurite_exports_the_variable_ww_reads()
    {
        string text = File.ReadAllText(Path.Combine(RepoPaths.Scripts, "start-azurite.sh"));
        var exported = Regex.Matches(text, @"export\s+([A-Z_]+)=").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(exported);
        Assert.All(exported, name => Assert.Contains(name, CliHelp.EnvironmentVariables));
        Assert.Contains(".tools/node_modules/.bin/azurite-blob", text);
        Assert.Contains("--blobHost 127.0.0.1", text);
        Assert.Contains("10000", text);
    }

    [Fact]
    public void Start_azurite_starts_the_emulator_and_stops_it()
    {
        string azurite = Path.Combine(RepoPaths.Root, ".tools", "node_modules", ".bin", "azurite-blob");
        Prerequisite.RequirePath(azurite, "Azurite (bash .ci/npm-tools/install)");
        string state = Directory.CreateTempSubdirectory("ww-deploy-azurite-").FullName;
        string script = Path.Combine(RepoPaths.Scripts, "start-azurite.sh");
        var env = new Dictionary<string, string> { ["AZURITE_PORT"] = BackgroundProcess.FreePort().ToString(), ["WW_LOCAL_STATE"] = state };
        try
        {
            var start = Proc.Run("bash", [script], TimeSpan.FromSeconds(60), env);
            Assert.True(start.ExitCode == 0, $"start-azurite.sh failed ({start.ExitCode}): {start.Stderr}");
            var line = Assert.Single(start.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Matches($@"^export WW_BLOB_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=[^']+;BlobEndpoint=http://127\.0\.0\.1:{env["AZURITE_PORT"]}/devstoreaccount1;'$", line);
            Assert.True(Listening(int.Parse(env["AZURITE_PORT"])), "azurite does not listen after the script returned");
        }
        finally
        {
            var stop = Proc.Run("bash", [script, "stop"], TimeSpan.FromSeconds(60), env);
            Assert.True(stop.ExitCode == 0, $"start-azurite.sh stop failed: {stop.Stderr}");
            Assert.False(File.Exists(Path.Combine(state, "azurite.pid")), "the PID file outlived stop");
            Directory.Delete(state, recursive: true);
        }
        Assert.False(Listening(int.Parse(env["AZURITE_PORT"])), "azurite still listens after stop");
    }

    /// <summary>Each `... dotnet ... ww... &lt;command&gt; ...` invocation, continuation lines joined.</summary>
    private static List<string> Commands(string script, string command)
    {
        string joined = script.Replace("\\\n", " ");
        return joined.Split('\n')
            .Where(l => Regex.IsMatch(l, $@"\bdotnet\s+\S*ww\S*\s+{Regex.Escape(command)}\b"))
            .ToList();
    }

    private static List<string> Flags(string line) =>
        Regex.Matches(line, @"(?<![\w-])--[a-z][a-z0-9-]*").Select(m => m.Value).ToList();

    private static bool Listening(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
