using WeightWatcher.Cli.Commands;

namespace WeightWatcher.Cli.Tests;

/// <summary>
/// The embedded default model is written to a temporary folder: one that no other user can have made
/// beforehand (the name was once <c>/tmp/ww-embedded-&lt;pid&gt;</c>, predictable), kept private, and removed.
/// </summary>
public sealed class EmbeddedModelFolderTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Each_embedded_model_gets_a_fresh_private_folder_that_is_removed_afterwards()
    {
        string first, second;
        using (var a = ModelSource.Open(null))
        using (var b = ModelSource.Open(null))
        {
            Assert.True(a.IsEmbedded);
            first = Path.GetDirectoryName(a.Reader.ModelPath)!;
            second = Path.GetDirectoryName(b.Reader.ModelPath)!;
            Assert.NotEqual(first, second);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(first));
            Assert.NotEmpty(a.Reader.Tensors);
        }
        Assert.False(Directory.Exists(first));
        Assert.False(Directory.Exists(second));
    }
}
