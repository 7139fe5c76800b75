using WeightWatcher.Cluster.Workers;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Cluster.Tests;

/// <summary>
/// Closing a node's services while a layer is analyzed: the analysis reads its model through a memory map,
/// and unmapping it under the analysis killed <c>ww zoo run</c> with SIGSEGV (exit 139 instead of 130) in
/// about one stop signal of six that came mid-layer. Dispose waits for the analyses in flight first.
/// </summary>
public sealed class NodeServicesDrainTests
{
    [Fact]
    public async Task Dispose_waits_for_the_analysis_in_flight_before_closing_its_model()
    {
        using var dir = new TempDir();
        string model = dir.File("m.safetensors");
        SafetensorsWriter.Write(model, [new NamedTensor("fc.weight", [64, 32], new float[64 * 32])]);
        var services = new ZooNodeServices(new Analyzer(SpectralBackends.Create(SpectralPrecision.Double, out _), 1), dir.File("staging"), 1L << 20, parallelism: 1);

        // A layer task as LayerTask runs one: a gate slot, then a leased reader.
        await services.Gate.WaitAsync(TestContext.Current.CancellationToken);
        var lease = services.Readers.Acquire(model);
        var disposing = Task.Run(services.Dispose, TestContext.Current.CancellationToken);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.False(disposing.IsCompleted, "the services were closed under an analysis in flight");
        // The model is still readable by the analysis.
        Assert.Equal(64 * 32, lease.Reader.ReadTensor(lease.Reader.Tensors.Single(t => t.Name == "fc.weight")).Length);

        lease.Dispose();
        services.Gate.Release();
        await disposing.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Throws<ObjectDisposedException>(() => services.Gate.Wait(0));
        services.Dispose(); // a second dispose is harmless
    }
}
