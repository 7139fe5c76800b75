using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Synthetic;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Analysis;

/// <summary>The cell-by-cell comparison behind <c>ww info --check</c>: it must find real differences.</summary>
public sealed class BackendAgreementTests
{
    /// <summary>The managed backend with every singular value scaled: a stand-in for a miscomputing kernel.</summary>
    private sealed class ScaledBackend(double factor) : ISpectralBackend
    {
        public string Name => $"managed x {factor}";

        public double[] SingularValues(WeightMatrix matrix) =>
            ManagedSpectralBackend.Instance.SingularValues(matrix).Select(s => s * factor).ToArray();
    }

    [Fact]
    public void Agreeing_backends_differ_by_rounding_and_a_perturbed_one_is_caught()
    {
        using var dir = new TempDir();
        string path = dir.File("reference.npz");
        ReferenceModel.WriteNpz(path);
        using var model = ModelOpener.Open(path);
        var options = new AnalysisOptions { MpFit = true, DetX = true };

        var same = BackendAgreement.Compare(model, ManagedSpectralBackend.Instance, ManagedSpectralBackend.Instance, options);
        Assert.Equal(5, same.Rows);
        Assert.Equal(5 * LayerTable.AnalyzeColumns(options).Count, same.Values);
        Assert.Equal(0, same.MaxRelativeDifference);

        var off = BackendAgreement.Compare(model, new ScaledBackend(1 + 1e-6), ManagedSpectralBackend.Instance, options);
        Assert.True(off.MaxRelativeDifference > 1e-7, $"{off.MaxRelativeDifference} at {off.Worst}");
        Assert.Contains(" vs ", off.Worst);
    }

    [Fact]
    public void The_native_backend_agrees_with_the_managed_one_within_parity()
    {
        Backends.RequireNative();
        using var dir = new TempDir();
        string path = dir.File("reference.npz");
        ReferenceModel.WriteNpz(path);
        using var model = ModelOpener.Open(path);
        var options = new AnalysisOptions { MpFit = true, DetX = true };
        var native = BackendAgreement.Compare(model, new OpenBlasSpectralBackend(), ManagedSpectralBackend.Instance, options);
        Assert.True(native.MaxRelativeDifference <= 1e-8, $"{native.MaxRelativeDifference} at {native.Worst}");
    }
}
