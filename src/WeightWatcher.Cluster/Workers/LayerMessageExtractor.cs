using Akka.Cluster.Sharding;
using WeightWatcher.Cluster.Protocol;

namespace WeightWatcher.Cluster.Workers;

/// <summary>
/// Routes <see cref="IWithLayerKey"/> messages: the entity id is the layer's cache key, the shard is the
/// key's hash modulo the shard count (keys are uniform hex, so shards fill evenly).
/// </summary>
public sealed class LayerMessageExtractor : HashCodeMessageExtractor
{
    /// <summary>Creates the extractor over <paramref name="shards"/> shards.</summary>
    public LayerMessageExtractor(int shards)
        : base(shards)
    {
    }

    /// <inheritdoc />
    public override string? EntityId(object message) => message is IWithLayerKey keyed ? keyed.LayerKey : null;

    /// <inheritdoc />
    public override string ShardId(string entityId, object? messageHint = null) =>
        (Convert.ToUInt32(entityId[..8], 16) % (uint)MaxNumberOfShards).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
