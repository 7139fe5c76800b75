namespace WeightWatcher.Storage;

/// <summary>An object of a model store could not be found, read or written, or a store could not be opened.</summary>
public sealed class StoreException : Exception
{
    /// <summary>Creates an exception whose message is "{path}: {reason}".</summary>
    /// <param name="path">The store-relative path (or store specification) concerned.</param>
    /// <param name="reason">What went wrong, for a person to read.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public StoreException(string path, string reason, Exception? inner = null)
        : base($"{path}: {reason}", inner)
    {
        StorePath = path;
    }

    /// <summary>Used by the stores: the message names the store first, "{description}: {path}: {reason}".</summary>
    internal StoreException(string storeDescription, string path, string reason, Exception? inner, bool unavailable = false)
        : base(path.Length == 0 ? $"{storeDescription}: {reason}" : $"{storeDescription}: {path}: {reason}", inner)
    {
        StorePath = path;
        Unavailable = unavailable;
    }

    /// <summary>The store-relative path (or store specification) the failure concerns.</summary>
    public string StorePath { get; }

    /// <summary>
    /// True when the store itself did not serve the request within its retry budget (no answer, or only
    /// transient errors): the store is unreachable, not the object bad, and every other request would fail alike.
    /// </summary>
    public bool Unavailable { get; }
}
