using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Synthetic;

namespace WeightWatcher.Cli.Commands;

/// <summary>
/// Resolves the model argument. Without one, the embedded default is used: the reference project's
/// golden model, written to a temporary .npz and then read like any user file.
/// </summary>
internal sealed class ModelSource : IDisposable
{
    private readonly string? _tempDir;

    private ModelSource(IModelReader reader, string? tempDir, bool embedded)
    {
        Reader = reader;
        _tempDir = tempDir;
        IsEmbedded = embedded;
    }

    public IModelReader Reader { get; }

    public bool IsEmbedded { get; }

    public static ModelSource Open(string? path)
    {
        if (!string.IsNullOrEmpty(path))
        {
            return new ModelSource(ModelOpener.Open(path), null, false);
        }
        // A fresh, unpredictable folder only this user can enter: a predictable name in a shared /tmp could
        // be created beforehand by another user, with a model of their choosing inside.
        string dir = Directory.CreateTempSubdirectory("ww-embedded-").FullName;
        string file = Path.Combine(dir, "reference-model.npz");
        ReferenceModel.WriteNpz(file);
        return new ModelSource(ModelOpener.Open(file), dir, true);
    }

    public void Dispose()
    {
        Reader.Dispose();
        if (_tempDir is not null)
        {
            try
            {
                Directory.Delete(_tempDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
