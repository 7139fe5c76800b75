using System.Diagnostics;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Formats.Onnx;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.RealWorld;

/// <summary>
/// Where each real file of the test bed comes from (see RealWorld/README.md): committed under
/// RealWorld/Data, the read-only ../shared folder, NuGet packages restored with this project, or the npm
/// package nsfwjs installed into .tools/ by .ci/npm-tools/install. A file that cannot be had here skips
/// its test with the reason, except under CI=true, where everything must be present.
/// </summary>
public static class RealFiles
{
    private static readonly Lazy<string> Scratch = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"ww-realfiles-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return dir;
    });

    private static readonly Lazy<string> MiniLM = new(() => OnnxZooModels.ExtractMiniLM(Path.Combine(Scratch.Value, "all-minilm-l6-v2.onnx")));
    private static readonly Lazy<string> ArcticXs = new(() => OnnxZooModels.ExtractArcticXs(Path.Combine(Scratch.Value, "snowflake-arctic-embed-xs.onnx")));
    private static readonly Lazy<(string? Folder, string? Problem)> Nsfwjs = new(UnpackNsfwjs);

    /// <summary>The file (or model folder) of a test-bed entry, by its key in the Expected/ file names.</summary>
    public static string Locate(string key) => key switch
    {
        "burn-complex_nested.safetensors" or "burn-multi_layer.safetensors" or "burn-complex_nested.pt"
            or "minilm-l6-layer0.gguf" or "carex_15_data.npz" or "stable-Z1-pdf-sample-data.npy" => Committed(key),
        "resnet20-12fca82f.th" or "resnet32-d509ac18.th" or "resnet44-014dd654.th" or "resnet56-4bfd9763.th"
            or "resnet20-statedict.pt" or "resnet20.safetensors" => Shared(Path.Combine("zoo", "cifar10-resnet", key)),
        "str_ww_model.h5" or "trainedResnet_20201214_1120.h5" or "trainedResnet_20201216_945.h5" => Shared(Path.Combine("realworld", "keras", key)),
        "conv_layouts.safetensors" or "str_ww_model.tf_layout.safetensors" => Shared(Path.Combine("realworld", "layouts", key)),
        "resnet18.onnx" => OnnxZooModels.ResNet18Path,
        "all-minilm-l6-v2.onnx" => MiniLM.Value,
        "snowflake-arctic-embed-xs.onnx" => ArcticXs.Value,
        "nsfwjs-mobilenet_v2" or "nsfwjs-mobilenet_v2_mid" or "nsfwjs-inception_v3" => NsfwjsModel(key["nsfwjs-".Length..]),
        _ => throw new ArgumentException($"unknown real file '{key}'", nameof(key)),
    };

    /// <summary>A file of ../shared: skipped where absent, failed under CI=true (<see cref="SharedFolder.Require"/>).</summary>
    public static string Shared(string relative) => SharedFolder.Require(relative);

    /// <summary>A committed file of RealWorld/Data (copied beside the test assembly).</summary>
    public static string Committed(string name) => Existing(Path.Combine(AppContext.BaseDirectory, "RealWorld", "Data", name));

    /// <summary>A committed expectation or reference file of RealWorld/Expected.</summary>
    public static string Expected(string name) => Existing(Path.Combine(AppContext.BaseDirectory, "RealWorld", "Expected", name));

    /// <summary>The backend `ww` uses by default (OpenBLAS), or the managed one where it was not built.</summary>
    public static ISpectralBackend Backend() =>
        OpenBlasSpectralBackend.IsAvailable ? new OpenBlasSpectralBackend() : ManagedSpectralBackend.Instance;

    private static string Existing(string path)
    {
        Assert.True(File.Exists(path), $"test file missing: {path}");
        return path;
    }

    private static string NsfwjsModel(string model)
    {
        var (folder, problem) = Nsfwjs.Value;
        if (folder is null)
        {
            Prerequisite.Missing($"nsfwjs TF.js models unavailable: {problem} (run .ci/npm-tools/install in the repository root)");
        }
        return Path.Combine(folder!, model);
    }

    /// <summary>Runs Drivers/unpack_nsfwjs.js once per test process on .tools/node_modules/nsfwjs.</summary>
    private static (string?, string?) UnpackNsfwjs()
    {
        string? root = Repository.FindRoot(AppContext.BaseDirectory);
        string? package = root is null ? null : Path.Combine(root, ".tools", "node_modules", "nsfwjs");
        if (package is null || !File.Exists(Path.Combine(package, "dist", "models", "mobilenet_v2", "model.min.js")))
        {
            return (null, $"npm package nsfwjs not installed at {package ?? "<repository>/.tools/node_modules/nsfwjs"}");
        }
        string output = Path.Combine(Scratch.Value, "nsfwjs");
        string script = Path.Combine(AppContext.BaseDirectory, "RealWorld", "Drivers", "unpack_nsfwjs.js");
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { script, package, output })
        {
            start.ArgumentList.Add(arg);
        }
        try
        {
            using var node = Process.Start(start)!;
            var stderr = node.StandardError.ReadToEndAsync();
            node.StandardOutput.ReadToEnd();
            if (!node.WaitForExit(120_000))
            {
                node.Kill(entireProcessTree: true);
                return (null, "node unpack_nsfwjs.js did not finish in 120 s");
            }
            return node.ExitCode == 0 ? (output, null) : (null, $"node unpack_nsfwjs.js exited with {node.ExitCode}: {stderr.Result}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (null, $"node is not on PATH ({e.Message})");
        }
    }
}
