using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Synthetic;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Formats;

/// <summary>
/// Models reached through symbolic links (a Hugging Face cache's snapshot folder links every file to a
/// blob) read exactly like the files themselves: a link's own length must never stand in for the file's.
/// </summary>
public sealed class SymlinkTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_linked_npz_describes_like_the_file() => AssertSameThroughLink(WriteNpz(), "linked.npz");

    [Fact]
    public void A_linked_pytorch_zip_describes_like_the_file() =>
        AssertSameThroughLink(SharedFolder.Require("zoo/cifar10-resnet/resnet20-statedict.pt"), "linked.pt");

    [Fact]
    public void A_linked_safetensors_describes_like_the_file()
    {
        string file = _dir.File("model.safetensors");
        ReferenceModel.WriteSafetensors(file);
        AssertSameThroughLink(file, "linked.safetensors");
    }

    private string WriteNpz()
    {
        string file = _dir.File("model.npz");
        ReferenceModel.WriteNpz(file);
        return file;
    }

    private void AssertSameThroughLink(string file, string linkName)
    {
        string link = _dir.File(linkName);
        File.CreateSymbolicLink(link, file);
        Assert.True(new FileInfo(link).Length < new FileInfo(file).Length, "the link's own length differs from the file's");
        using var direct = ModelOpener.Open(file);
        using var linked = ModelOpener.Open(link);
        var expected = Analyzer.Describe(direct, new AnalysisOptions()).Select(l => (l.LayerId, l.Name, l.N, l.M)).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Analyzer.Describe(linked, new AnalysisOptions()).Select(l => (l.LayerId, l.Name, l.N, l.M)));
        var tensor = linked.Tensors.First(t => t.Rank == 2 || t.Rank == 4);
        Assert.Equal(direct.ReadTensor(direct.Tensors.First(t => t.Name == tensor.Name)), linked.ReadTensor(tensor));
    }
}
