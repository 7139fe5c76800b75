namespace WeightWatcher.Cluster.Protocol;

/// <summary>
/// Marker of every message and replicated value of the zoo job. The marker is bound to one serializer
/// (<see cref="Serialization.ZooMessageSerializer"/>), so no message ever falls back to a default one.
/// </summary>
public interface IZooMessage;

/// <summary>Messages routed to the <c>layer</c> shard region carry the cache key of their layer, which is the entity id.</summary>
public interface IWithLayerKey
{
    /// <summary>The layer's cache key (hex SHA-256 of its model's content, its id, the options and the engine version).</summary>
    string LayerKey { get; }
}
