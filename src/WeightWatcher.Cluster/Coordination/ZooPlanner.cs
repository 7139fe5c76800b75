using System.Text;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Results;
using WeightWatcher.Cluster.Workers;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Regression;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Coordination;

/// <summary>
/// Turns a job spec into a plan: lists the models under the prefix (each direct child file is a model,
/// each direct child folder is a model), hashes their files (through the hash index, so unchanged files
/// are not read again), reads only their headers to enumerate layers exactly as <c>ww analyze</c> does
/// (once per model content and build: the <see cref="PlanIndex"/> remembers them), and computes every layer's cache key. A model that cannot be read becomes a failure with its reason;
/// planning goes on with the others.
/// </summary>
public sealed class ZooPlanner
{
    /// <summary>File names beside the models that are documentation, not models.</summary>
    private static readonly string[] DocumentExtensions = [".md", ".txt", ".csv", ".rst", ".html", ".pdf", ".png", ".jpg"];

    private static readonly string[] DocumentNames = ["LICENSE", "LICENCE", "NOTICE", "COPYING", "README"];

    /// <summary>Catalog names looked for beside the models when the job names none.</summary>
    public static readonly string[] DefaultCatalogNames = ["zoo.csv", "catalog.csv"];

    private readonly ZooNodeServices _services;

    /// <summary>Creates a planner using the stores, staging and readers of <paramref name="services"/>.</summary>
    public ZooPlanner(ZooNodeServices services)
    {
        _services = services;
    }

    /// <summary>Plans <paramref name="spec"/>; <paramref name="progress"/> receives (models planned, models found).</summary>
    public async Task<ZooPlan> PlanAsync(ZooJobSpec spec, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellation = default)
    {
        var store = _services.Store(spec.Store);
        var location = spec.Location;
        var resultStore = _services.ResultStore(location);
        var layout = new ResultLayout(spec.ResultsPrefix);
        string prefix = spec.ModelsPrefix.Length == 0 || spec.ModelsPrefix.EndsWith('/') ? spec.ModelsPrefix : spec.ModelsPrefix + "/";
        var failures = new List<ZooFailure>();

        var (catalog, catalogPath) = await LoadCatalogAsync(store, spec, prefix, failures, cancellation).ConfigureAwait(false);
        bool sameStore = spec.ResultStore is null || spec.ResultStore == spec.Store;
        var listed = new List<StoredObject>();
        await foreach (var obj in store.ListAsync(prefix, cancellation).ConfigureAwait(false))
        {
            if (sameStore && layout.Prefix.Length > 0 && obj.Path.StartsWith(layout.Prefix, StringComparison.Ordinal))
            {
                continue;
            }
            listed.Add(obj);
        }
        var (groups, ignored) = Group(listed, prefix, catalogPath);
        failures.AddRange(EmptyFolders(store, prefix, groups));
        var hashes = await HashIndex.LoadAsync(resultStore, layout.HashIndex, cancellation).ConfigureAwait(false);
        var plans = await PlanIndex.LoadAsync(resultStore, layout.PlanIndex, cancellation).ConfigureAwait(false);
        var names = NameModels(groups.Keys, catalog);

        var models = new List<PlannedModel>();
        int done = 0;
        foreach (var (root, files) in groups.OrderBy(g => names[g.Key], StringComparer.Ordinal))
        {
            cancellation.ThrowIfCancellationRequested();
            string name = names[root];
            try
            {
                models.Add(await PlanModelAsync(store, spec.Options, name, root, files, catalog?.Find(name), hashes, plans, cancellation).ConfigureAwait(false));
            }
            catch (Exception e) when (e is ModelFormatException or StoreException { Unavailable: false } or IOException or UnauthorizedAccessException)
            {
                // A store that does not answer is the job's failure (planning fails), not this model's.
                failures.Add(new ZooFailure(name, null, e.Message));
            }
            progress?.Report((++done, groups.Count));
        }
        if (catalog is not null)
        {
            var found = models.Select(m => m.Name).Concat(failures.Select(f => f.Model)).ToHashSet(StringComparer.Ordinal);
            foreach (var entry in catalog.Entries.Where(e => !found.Contains(e.Model)))
            {
                failures.Add(new ZooFailure(entry.Model, null, $"{catalogPath}: the catalog lists model '{entry.Model}'{(entry.File is null ? "" : $" (file '{entry.File}')")} but the store has no such model under '{prefix}'"));
            }
        }
        await hashes.SaveAsync(cancellation).ConfigureAwait(false);
        await plans.SaveAsync(cancellation).ConfigureAwait(false);
        return new ZooPlan(models, failures, ignored, catalog, catalogPath, hashes.Computed);
    }

    private async Task<PlannedModel> PlanModelAsync(
        IModelStore store, AnalysisOptions options, string name, string root, List<StoredObject> files, CatalogEntry? entry, HashIndex hashes, PlanIndex plans, CancellationToken cancellation)
    {
        var fileHashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            fileHashes[file.Path] = await hashes.HashAsync(store, file, cancellation).ConfigureAwait(false);
        }
        string contentHash = ZooEngine.ModelHash(root, fileHashes);
        string planKey = PlanIndex.KeyOf(options, root, contentHash);
        var plan = plans.Find(planKey);
        if (plan is null)
        {
            plan = await ReadPlanAsync(store, options, root, files, cancellation).ConfigureAwait(false);
            plans.Remember(planKey, plan);
        }
        var layers = plan.Layers.Select(l => new PlannedLayer(ZooEngine.LayerKey(options, contentHash, l.LayerId), l.LayerId, l.Name, l.Ranges)).ToList();
        var reference = new ModelReference(root, files);
        return new PlannedModel(name, reference, contentHash, fileHashes, plan.Format, entry, layers, plan.SkippedLayers, plan.Skipped);
    }

    /// <summary>A model's layers from its headers (the model is opened; for blob safetensors models only the header ranges are fetched).</summary>
    private async Task<RememberedPlan> ReadPlanAsync(IModelStore store, AnalysisOptions options, string root, List<StoredObject> files, CancellationToken cancellation)
    {
        string local = await _services.LocalModelAsync(store, root, files, [], cancellation).ConfigureAwait(false);
        using var lease = _services.Readers.Acquire(local);
        bool ranged = store.LocalRoot is null && SparseModelStaging.Applies(files);
        var layers = Analyzer.Describe(lease.Reader, options)
            .GroupBy(l => l.LayerId)
            .OrderBy(g => g.Key)
            .Select(g => new RememberedLayer(g.Key, g.First().Name, ranged ? [StoreRange(root, local, g.First().Tensor)] : null))
            .ToList();
        var skipped = LayerEnumerator.EnumerateSkipped(lease.Reader, options);
        if (layers.Count == 0)
        {
            // A model that yields no row is reported, never dropped without a word.
            throw new ModelFormatException(root, null, "no layer to analyze: " + SkippedLayer.WhyNothingToAnalyze(lease.Reader.Tensors.Count, skipped));
        }
        return new RememberedPlan(lease.Reader.FormatName, layers, skipped.Count, SkippedLayer.CountsByReason(skipped));
    }

    /// <summary>Where a tensor of a locally staged model lies in the store: its file's store path and byte range.</summary>
    private static ByteRange StoreRange(string root, string local, Core.Tensors.TensorInfo tensor)
    {
        string path = root.EndsWith('/')
            ? root + Path.GetRelativePath(local, tensor.SourceFile).Replace(Path.DirectorySeparatorChar, '/')
            : root;
        return new ByteRange(path, tensor.Offset, tensor.ByteLength);
    }

    private static async Task<(ZooCatalog? Catalog, string? Path)> LoadCatalogAsync(
        IModelStore store, ZooJobSpec spec, string prefix, List<ZooFailure> failures, CancellationToken cancellation)
    {
        var candidates = spec.Catalog is null ? DefaultCatalogNames.Select(n => prefix + n).ToArray() : [spec.Catalog];
        foreach (var path in candidates)
        {
            string? text = null;
            if (await TryGetAsync(store, path, cancellation).ConfigureAwait(false) is not null)
            {
                await using var stream = await store.OpenReadAsync(path, cancellation).ConfigureAwait(false);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                text = await reader.ReadToEndAsync(cancellation).ConfigureAwait(false);
            }
            else if (spec.Catalog is not null && File.Exists(spec.Catalog))
            {
                // A catalog kept outside the store (e.g. in the job's own repository).
                text = await File.ReadAllTextAsync(spec.Catalog, cancellation).ConfigureAwait(false);
            }
            if (text is null)
            {
                continue;
            }
            try
            {
                // A bad row costs that row only: listed as a failure naming its line, the other rows are used.
                var rowErrors = new List<CatalogException>();
                var catalog = ZooCatalog.Parse(text, path, rowErrors);
                failures.AddRange(rowErrors.Select(e => ZooFailure.OfCatalog(e.Message)));
                return (catalog, path);
            }
            catch (CatalogException e)
            {
                failures.Add(ZooFailure.OfCatalog(e.Message));
                return (null, path);
            }
        }
        if (spec.Catalog is not null)
        {
            failures.Add(ZooFailure.OfCatalog($"{spec.Catalog}: catalog not found in the store or on this node's disk; models are analyzed without series"));
        }
        return (null, null);
    }

    private static async Task<StoredObject?> TryGetAsync(IModelStore store, string path, CancellationToken cancellation)
    {
        try
        {
            return await store.GetAsync(path, cancellation).ConfigureAwait(false);
        }
        catch (StoreException e) when (!e.Unavailable)
        {
            return null;
        }
    }

    /// <summary>Groups listed objects into models: a direct child file is a model; a direct child folder (all files below it) is one.</summary>
    private static (Dictionary<string, List<StoredObject>> Groups, List<string> Ignored) Group(List<StoredObject> listed, string prefix, string? catalogPath)
    {
        var groups = new Dictionary<string, List<StoredObject>>(StringComparer.Ordinal);
        var ignored = new List<string>();
        foreach (var obj in listed)
        {
            string rest = obj.Path[prefix.Length..];
            int slash = rest.IndexOf('/');
            if (slash < 0 && (obj.Path == catalogPath || IsDocument(rest)))
            {
                ignored.Add(obj.Path);
                continue;
            }
            string root = slash < 0 ? obj.Path : prefix + rest[..(slash + 1)];
            if (!groups.TryGetValue(root, out var files))
            {
                groups[root] = files = [];
            }
            files.Add(obj);
        }
        return (groups, ignored);
    }

    private static bool IsDocument(string name) =>
        name.StartsWith('.')
        || DocumentExtensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase))
        || DocumentNames.Any(n => name.StartsWith(n, StringComparison.OrdinalIgnoreCase));

    /// <summary>Empty folders of a local store (a blob store has no empty folders): reported, since a model was probably expected there.</summary>
    private static IEnumerable<ZooFailure> EmptyFolders(IModelStore store, string prefix, Dictionary<string, List<StoredObject>> groups)
    {
        if (store.LocalRoot is null)
        {
            yield break;
        }
        string dir = Path.Combine(store.LocalRoot, prefix);
        if (!Directory.Exists(dir))
        {
            yield break;
        }
        foreach (var sub in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(sub);
            if (!name.StartsWith('.') && !groups.ContainsKey(prefix + name + "/") && !Directory.EnumerateFileSystemEntries(sub, "*", SearchOption.AllDirectories).Any(File.Exists))
            {
                yield return new ZooFailure(name, null, $"{prefix}{name}/: empty folder: no model files in it");
            }
        }
    }

    /// <summary>
    /// Names models: the catalog's name when a row's <c>file</c> names the model's file or folder;
    /// else the file name without its extension (or the folder name), unless that collides with
    /// another model or a catalog name, in which case the full file name is kept.
    /// </summary>
    private static Dictionary<string, string> NameModels(IEnumerable<string> roots, ZooCatalog? catalog)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var byFile = catalog?.Entries.Where(e => e.File is not null).ToDictionary(e => e.File!.TrimEnd('/'), e => e.Model, StringComparer.Ordinal)
            ?? new Dictionary<string, string>(StringComparer.Ordinal);
        var rootList = roots.ToList();
        var leaf = rootList.ToDictionary(r => r, r => Path.GetFileName(r.TrimEnd('/')), StringComparer.Ordinal);
        var stems = rootList.ToDictionary(r => r, r => r.EndsWith('/') ? leaf[r] : Path.GetFileNameWithoutExtension(leaf[r]), StringComparer.Ordinal);
        var taken = new HashSet<string>(byFile.Values, StringComparer.Ordinal);
        foreach (var root in rootList)
        {
            if (byFile.TryGetValue(leaf[root], out var model))
            {
                names[root] = model;
            }
        }
        foreach (var root in rootList.Where(r => !names.ContainsKey(r)).Order(StringComparer.Ordinal))
        {
            string stem = stems[root];
            bool catalogName = catalog?.Find(stem) is not null && !byFile.ContainsValue(stem);
            bool unique = stems.Count(kv => kv.Value == stem) == 1 && (!taken.Contains(stem) || catalogName);
            names[root] = unique ? stem : leaf[root];
            taken.Add(names[root]);
        }
        return names;
    }
}
