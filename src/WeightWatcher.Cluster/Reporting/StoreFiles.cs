using WeightWatcher.Reports.Zoo;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Reporting;

/// <summary>Whole-object reads and bounded parallel writes on a result store.</summary>
internal static class StoreFiles
{
    /// <summary>The object's bytes, or null when there is none.</summary>
    public static async Task<byte[]?> ReadAllAsync(IModelStore store, string path, CancellationToken cancellation)
    {
        if (await store.GetAsync(path, cancellation).ConfigureAwait(false) is null)
        {
            return null;
        }
        try
        {
            await using var stream = await store.OpenReadAsync(path, cancellation).ConfigureAwait(false);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellation).ConfigureAwait(false);
            return copy.ToArray();
        }
        catch (StoreException e) when (!e.Unavailable)
        {
            return null; // deleted between the check and the read
        }
    }

    /// <summary>Writes every file under <paramref name="prefix"/>, a bounded number at a time (each write is atomic).</summary>
    public static Task WriteAllAsync(IModelStore store, string prefix, IEnumerable<ReportFile> files, CancellationToken cancellation) =>
        Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellation }, async (file, token) =>
            await store.WriteAsync(prefix + file.Name, file.Content, token).ConfigureAwait(false));
}
