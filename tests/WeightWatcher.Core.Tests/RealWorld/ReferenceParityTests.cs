using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;

namespace WeightWatcher.Core.Tests.RealWorld;

/// <summary>
/// Our analysis of each real file against the reference tool's per-layer CSV for the same weights: the
/// same set of analyzed layers, matched by name, every float at 1e-6 relative, integers and strings exactly
/// (see <see cref="ReferenceComparison"/>). The CSVs under Expected/ were made by Drivers/feed_reference.py
/// (how: RealWorld/README.md); those of ../shared/realworld as its README describes.
/// </summary>
public sealed class ReferenceParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    /// <summary>Reference CSVs of Expected/, by the key of the real file and the options they were made with.</summary>
    public static TheoryData<string> OurReferenceCsvs() => new(
        "burn-complex_nested.safetensors", "burn-multi_layer.safetensors", "burn-complex_nested.pt",
        "resnet20-12fca82f.th", "resnet32-d509ac18.th", "resnet44-014dd654.th", "resnet56-4bfd9763.th",
        "resnet20-statedict.pt", "resnet20.safetensors",
        "resnet18.onnx", "all-minilm-l6-v2.onnx", "snowflake-arctic-embed-xs.onnx",
        "minilm-l6-layer0.gguf", "carex_15_data.npz", "stable-Z1-pdf-sample-data.min_evals_1",
        "nsfwjs-mobilenet_v2", "nsfwjs-inception_v3", "nsfwjs-mobilenet_v2_mid");

    [Theory]
    [MemberData(nameof(OurReferenceCsvs))]
    public void Analysis_matches_the_reference_csv(string csv)
    {
        string file = csv == "stable-Z1-pdf-sample-data.min_evals_1" ? "stable-Z1-pdf-sample-data.npy" : csv;
        var options = csv.EndsWith(".min_evals_1", StringComparison.Ordinal) ? new AnalysisOptions { MinEvals = 1 } : new AnalysisOptions();
        var matching = file switch
        {
            // The reference keeps the DataParallel 'module.' prefix of the legacy checkpoints; we drop it.
            _ when file.EndsWith(".th", StringComparison.Ordinal) => new ReferenceMatching(n => n.StartsWith("module.", StringComparison.Ordinal) ? n["module.".Length..] : n, new HashSet<string>(), false),
            // TF.js layers models: the reference row '<layer>/kernel' is our Keras layer '<layer>'.
            "nsfwjs-mobilenet_v2" or "nsfwjs-inception_v3" => KerasMatching(RealFiles.Expected(file + ".tensors.csv"), n => n.Split('/')[^2]),
            // ONNX: both sides number the initializers from 0.
            _ when file.EndsWith(".onnx", StringComparison.Ordinal) => ReferenceMatching.ByName with { CompareLayerIds = true },
            _ => ReferenceMatching.ByName,
        };
        Compare(csv, RealFiles.Locate(file), RealFiles.Expected(csv + ".reference.csv"), options, matching);
    }

    /// <summary>The six CSVs of ../shared/realworld, as its README says they are to be reproduced.</summary>
    [Theory]
    [InlineData("keras/str_ww_model")]
    [InlineData("keras/trainedResnet_20201214_1120")]
    [InlineData("keras/trainedResnet_20201216_945")]
    [InlineData("layouts/conv_layouts")]
    [InlineData("layouts/conv_layouts.min_evals_1")]
    [InlineData("layouts/str_ww_model.tf_layout")]
    public void Analysis_matches_the_shared_realworld_csv(string csv)
    {
        string reference = RealFiles.Shared(Path.Combine("realworld", csv + ".reference.csv"));
        if (csv.StartsWith("keras/", StringComparison.Ordinal))
        {
            // Keras route (kernels sliced kernel-first) against the state-dict CSV of converted kernels: rows
            // 'model_weights/<layer>/<layer>/kernel:0' are our layers '<layer>'; N/M swaps from the shapes.
            var matching = KerasMatching(RealFiles.Shared(Path.Combine("realworld", csv + ".tensors.csv")), n => n.Split('/')[1]);
            Compare(csv, RealFiles.Shared(Path.Combine("realworld", csv + ".h5")), reference, new AnalysisOptions(), matching);
            return;
        }
        bool minEvals1 = csv.EndsWith(".min_evals_1", StringComparison.Ordinal);
        string model = RealFiles.Shared(Path.Combine("realworld", (minEvals1 ? csv[..^".min_evals_1".Length] : csv) + ".safetensors"));
        Compare(csv, model, reference, minEvals1 ? new AnalysisOptions { MinEvals = 1 } : new AnalysisOptions(), ReferenceMatching.ByName);
    }

    private ReferenceMatching KerasMatching(string tensorsCsv, Func<string, string> ourName)
    {
        var swapped = KerasRouteDifference.SwappedLayers(tensorsCsv, line => output.WriteLine("N/M swap expected: " + line));
        return new ReferenceMatching(ourName, swapped, false);
    }

    private void Compare(string label, string model, string referenceCsv, AnalysisOptions options, ReferenceMatching matching)
    {
        var reference = ReferenceCsv.Read(referenceCsv);
        using var reader = ModelOpener.Open(model);
        var ours = new Analyzer(RealFiles.Backend()).Analyze(reader, options);
        var comparison = ReferenceComparison.Compare(label, reference, ours, matching, Tolerance);
        comparison.Print(output);
        TestContext.Current.SendDiagnosticMessage(comparison.Summary());
        comparison.AssertMatches();
    }
}
