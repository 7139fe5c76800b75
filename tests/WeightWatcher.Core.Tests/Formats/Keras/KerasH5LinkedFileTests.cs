using WeightWatcher.Core.Formats;

namespace WeightWatcher.Core.Tests.Formats.Keras;

/// <summary>
/// A Keras HDF5 file reached through a symbolic link (zoos link read-only files in): the reader measured
/// the link's own entry (44 bytes, its target's path) instead of the file, and refused every tensor as
/// reaching past the end. Found by the soak, which links real Keras files into its zoo.
/// </summary>
public sealed class KerasH5LinkedFileTests
{
    [Fact]
    public void A_linked_keras_file_reads_as_the_file_itself()
    {
        string original = SharedFolder.Require("realworld/keras/str_ww_model.h5");
        using var dir = new TempDir();
        string link = dir.File("linked-model.h5");
        File.CreateSymbolicLink(link, original);

        using var direct = ModelOpener.Open(original);
        using var linked = ModelOpener.Open(link);
        Assert.Equal(direct.Tensors.Select(t => (t.Name, string.Join('x', t.Shape))), linked.Tensors.Select(t => (t.Name, string.Join('x', t.Shape))));
        Assert.NotEmpty(linked.Tensors);
        foreach (var tensor in linked.Tensors)
        {
            Assert.Equal(direct.ReadTensor(direct.Tensors.Single(t => t.Name == tensor.Name)), linked.ReadTensor(tensor));
        }
    }
}
