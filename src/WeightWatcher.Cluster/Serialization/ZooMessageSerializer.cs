using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Hosting;
using Akka.Serialization;
using WeightWatcher.Cluster.Protocol;

namespace WeightWatcher.Cluster.Serialization;

/// <summary>
/// The one serializer bound to <see cref="IZooMessage"/>: JSON (System.Text.Json) with a short, stable
/// manifest per type, so nodes of the same build agree without type names on the wire and a message
/// never falls back to a reflection-based serializer.
/// </summary>
public sealed class ZooMessageSerializer : SerializerWithStringManifest
{
    /// <summary>Identifier registered with Akka (unique among the system's serializers).</summary>
    public const int SerializerId = 4711;

    private static readonly Dictionary<Type, string> Manifests = new()
    {
        [typeof(AnalyzeLayer)] = "AL",
        [typeof(LayerAnalyzed)] = "LA",
        [typeof(LayerFailed)] = "LF",
        [typeof(CachedLayer)] = "CL",
        [typeof(ZooJobSpec)] = "JS",
        [typeof(ZooJobRecord)] = "JR",
        [typeof(SubmitJob)] = "SJ",
        [typeof(GetJobStatus)] = "GS",
        [typeof(JobStatus)] = "ST",
    };

    private static readonly Dictionary<string, Type> Types = Manifests.ToDictionary(kv => kv.Value, kv => kv.Key);

    /// <summary>JSON settings shared by the wire and the result cache.</summary>
    public static readonly JsonSerializerOptions Json = CreateOptions();

    /// <summary>Creates the serializer for <paramref name="system"/>.</summary>
    public ZooMessageSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var m) ? m : throw new ArgumentException($"{o.GetType()} is not a zoo message");

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest) =>
        Types.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Json) ?? throw new System.Runtime.Serialization.SerializationException($"empty {manifest} message")
            : throw new System.Runtime.Serialization.SerializationException($"unknown zoo message manifest '{manifest}'");

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new CellJsonConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>Registration of the protocol's serializer with Akka.Hosting.</summary>
public static class ZooSerializationHostingExtensions
{
    /// <summary>
    /// Binds <see cref="IZooMessage"/> to <see cref="ZooMessageSerializer"/>: the one place the binding is
    /// declared, used by the cluster's hosting extensions and by specs that build a system of their own.
    /// </summary>
    public static Akka.Hosting.AkkaConfigurationBuilder AddZooSerialization(this Akka.Hosting.AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("weightwatcher-zoo", [typeof(IZooMessage)], system => new ZooMessageSerializer(system));
}
