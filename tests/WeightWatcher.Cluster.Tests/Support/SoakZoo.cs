using System.Globalization;
using System.Text;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Synthetic;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>
/// The zoo of the soak: <c>models</c> generated models of <c>layers</c> dense layers each, alternately
/// safetensors and deflated npz, every twentieth one corrupt (5%: a header that claims more than the file
/// holds, or a zip cut short), plus real files of the other formats (PyTorch, Keras HDF5, GGUF, ONNX and a
/// real npz, linked: they are read-only), and a catalog of series and accuracies for the regressions.
/// </summary>
internal static class SoakZoo
{
    /// <summary>The zoo that was written: its folder, the corrupt files' model names.</summary>
    public sealed record Written(string Folder, IReadOnlyList<string> Corrupt, int Models);

    /// <summary>Writes the zoo into <paramref name="folder"/>.</summary>
    public static Written Write(TempDir folder, int models, int layers)
    {
        string root = folder.Path;
        var corrupt = new List<string>();
        var catalog = new StringBuilder("model,series,top1_acc\n");
        for (int m = 0; m < models; m++)
        {
            string name = $"gen-{m:D3}";
            bool npz = m % 2 == 1;
            string file = Path.Combine(root, name + (npz ? ".npz" : ".safetensors"));
            var tensors = Enumerable.Range(0, layers).Select(l =>
            {
                // Shapes vary by model and layer (24..119 wide), so layers cost differently, as in a real zoo.
                long rows = 24 + ((m * 7 + l * 13) % 96), cols = 24 + ((m * 11 + l * 5) % 96);
                return new NamedTensor($"block{l}.weight", [rows, cols], ReferenceModel.Generate((ulong)(m * 1000 + l + 1), rows * cols));
            }).ToList();
            if (npz)
            {
                NumpyWriter.WriteNpz(file, tensors, compress: true);
            }
            else
            {
                SafetensorsWriter.Write(file, tensors);
            }
            if (m % 20 == 19)
            {
                Corrupt(file, npz);
                corrupt.Add(name);
            }
            else
            {
                catalog.Append(CultureInfo.InvariantCulture, $"{name},gen-{m % 3},{60 + (m * 37 % 300) / 10.0:F1}\n");
            }
        }
        // Real files written by other frameworks: PyTorch (torch.save), Keras 2 HDF5, GGUF and numpy's own npz.
        string cifar = SharedFolder.Require("zoo/cifar10-resnet");
        string keras = SharedFolder.Require("realworld/keras");
        string data = Path.Combine(Repository.Root, "tests", "WeightWatcher.Core.Tests", "RealWorld", "Data");
        var real = new (string Source, string Name)[]
        {
            (Path.Combine(cifar, "resnet20-12fca82f.th"), "real-resnet20.th"),
            (Path.Combine(keras, "str_ww_model.h5"), "real-str-ww-model.h5"),
            (Path.Combine(data, "minilm-l6-layer0.gguf"), "real-minilm-layer0.gguf"),
            (Path.Combine(data, "carex_15_data.npz"), "real-carex.npz"),
            // ONNX: the ResNet18 that ML.NET's NuGet package ships (restored for the CLI's demo zoo).
            (Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
                "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"), "real-resnet18.onnx"),
        };
        foreach (var (source, name) in real)
        {
            Assert.True(File.Exists(source), $"{source} is missing (the soak's real {Path.GetExtension(name)} file)");
            File.CreateSymbolicLink(Path.Combine(root, name), source);
        }
        File.WriteAllText(Path.Combine(root, "zoo.csv"), catalog.ToString());
        return new Written(root, corrupt, models + real.Length);
    }

    private static void Corrupt(string file, bool zip)
    {
        var bytes = File.ReadAllBytes(file);
        if (zip)
        {
            // A zip cut short: its central directory is gone.
            File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        }
        else
        {
            // A safetensors header length claiming far more than the file holds.
            BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)bytes.Length * 1000);
            File.WriteAllBytes(file, bytes);
        }
    }
}
