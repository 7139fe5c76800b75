using System.Text.Json;
using WeightWatcher.Cluster.Coordination;
using WeightWatcher.Cluster.Protocol;
using WeightWatcher.Cluster.Serialization;
using WeightWatcher.Cluster.Workers;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Storage;

namespace WeightWatcher.Cluster.Tests;

/// <summary>The wire protocol: every message through the one bound serializer, cells without losing type or digit, routing.</summary>
public sealed class ProtocolTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit("protocol-spec", output)
{
    /// <summary>The production binding (the one the cluster's hosting extensions add), on a local system.</summary>
    protected override void ConfigureAkka(Akka.Hosting.AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddZooSerialization();

    public static TheoryData<IZooMessage> Messages()
    {
        var options = new AnalysisOptions { Layers = ["dense", "-fc3"], MpFit = true, FixFingers = FingerFix.ClipXmax, XMax = null, Seed = 7 };
        var location = new JobLocation("/zoo", "az://results", "nightly/");
        var model = new ModelReference("models/bert/", [new StoredObject("models/bert/model.safetensors", 123, "\"0x8D\"")]);
        var rows = new CachedLayer(
            [new Dictionary<string, object?> { ["layer_id"] = 3L, ["name"] = "fc1", ["alpha"] = 2.5, ["D"] = 3.0, ["xmax"] = double.PositiveInfinity, ["W_scale"] = null, ["has_esd"] = true, ["warning"] = "NaN" }],
            null);
        var spec = new ZooJobSpec("job-1", "/zoo", "models/", null, "results/", "zoo.csv", options, DateTimeOffset.Parse("2026-11-29T02:00:00Z"), new ZooCoordinatorSettings(8, TimeSpan.FromSeconds(90), 3));
        return new TheoryData<IZooMessage>
        {
            new AnalyzeLayer(new string('a', 64), "job-1", location, model, "bert", 12, "encoder.layer.0.attention", options),
            new LayerAnalyzed(new string('b', 64), "job-1", "akka.tcp://weightwatcher@10.0.0.5:4053", rows, 0.25),
            new LayerFailed(new string('c', 64), "job-1", "node", "bert: layer 3: weights contain NaN", Permanent: true),
            new LayerAnalyzed(new string('b', 64), "job-1", "node", rows, 0.5, StoreRetries: 4),
            new LayerFailed(new string('c', 64), "job-1", "node", "bert: layer 3: storage: no answer", Permanent: false, StoreRetries: 9, StoreUnavailable: true),
            rows,
            spec,
            new ZooJobRecord(spec, Finished: true),
            new SubmitJob(spec),
            GetJobStatus.Instance,
            new JobStatus("job-1", JobPhase.Analyzing, 4, 1, 100, 40, 10, 1, 2, 12.5, "/zoo :: results/", null, "0123abcd"),
        };
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips_through_the_bound_serializer(IZooMessage message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<ZooMessageSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var back = Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
        Assert.IsType(message.GetType(), back);
        // Records with lists compare by reference: compare their canonical JSON instead.
        Assert.Equal(JsonSerializer.Serialize(message, message.GetType(), ZooMessageSerializer.Json), JsonSerializer.Serialize(back, back.GetType(), ZooMessageSerializer.Json));
    }

    [Fact]
    public void Cells_keep_their_type_and_every_digit()
    {
        var row = new Dictionary<string, object?>
        {
            ["double_integral"] = 3.0, ["long"] = 3L, ["int"] = 7, ["tiny"] = 4.9406564584124654E-324, ["pi"] = Math.PI,
            ["nan"] = double.NaN, ["inf"] = double.PositiveInfinity, ["-inf"] = double.NegativeInfinity,
            ["null"] = null, ["string_nan"] = "NaN", ["bool"] = false, ["big"] = 1e300,
        };
        var json = JsonSerializer.Serialize(new CachedLayer([row], null), ZooMessageSerializer.Json);
        var back = JsonSerializer.Deserialize<CachedLayer>(json, ZooMessageSerializer.Json)!.Rows[0];
        Assert.Equal(3.0, Assert.IsType<double>(back["double_integral"]));
        Assert.Equal(3L, Assert.IsType<long>(back["long"]));
        Assert.Equal(7L, Assert.IsType<long>(back["int"]));
        Assert.Equal(4.9406564584124654E-324, Assert.IsType<double>(back["tiny"]));
        Assert.Equal(Math.PI, Assert.IsType<double>(back["pi"]));
        Assert.True(double.IsNaN(Assert.IsType<double>(back["nan"])));
        Assert.Equal(double.PositiveInfinity, back["inf"]);
        Assert.Equal(double.NegativeInfinity, back["-inf"]);
        Assert.Null(back["null"]);
        Assert.Equal("NaN", Assert.IsType<string>(back["string_nan"]));
        Assert.Equal(false, back["bool"]);
        Assert.Equal(1e300, back["big"]);
        Assert.Equal(row.Keys, back.Keys);
    }

    [Fact]
    public void Layer_keys_route_to_stable_shards_within_range()
    {
        var extractor = new LayerMessageExtractor(60);
        var keys = Enumerable.Range(0, 3000).Select(i => ZooEngine.LayerKey(new AnalysisOptions(), $"model-{i % 7}", i)).ToList();
        var shards = keys.Select(k => int.Parse(extractor.ShardId(k, null))).ToList();
        Assert.All(shards, s => Assert.InRange(s, 0, 59));
        Assert.Equal(shards, keys.Select(k => int.Parse(new LayerMessageExtractor(60).ShardId(k, null))));
        // Uniform hex keys spread evenly: no shard gets more than twice its share.
        Assert.All(shards.GroupBy(s => s), g => Assert.InRange(g.Count(), 1, 2 * 3000 / 60));
        var task = new AnalyzeLayer(keys[0], "j", new JobLocation("s", null, ""), new ModelReference("m", []), "m", 1, "l", new AnalysisOptions());
        Assert.Equal(keys[0], extractor.EntityId(task));
    }

    [Fact]
    public void Cache_keys_change_with_options_content_and_layer_but_not_otherwise()
    {
        var options = new AnalysisOptions();
        string key = ZooEngine.LayerKey(options, "hash", 3);
        Assert.Equal(key, ZooEngine.LayerKey(new AnalysisOptions(), "hash", 3));
        Assert.NotEqual(key, ZooEngine.LayerKey(options with { MpFit = true }, "hash", 3));
        Assert.NotEqual(key, ZooEngine.LayerKey(options, "hash2", 3));
        Assert.NotEqual(key, ZooEngine.LayerKey(options, "hash", 4));
        Assert.Matches("^[0-9a-f]{64}$", key);
    }
}
