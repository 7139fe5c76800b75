using System.Text.Json;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.ModelFiles;

namespace WeightWatcher.Core.Tests.Formats;

/// <summary>
/// Sharded Hugging Face directories (<c>model.safetensors.index.json</c> + shards): tensor order follows
/// the reader's documented rule, and every broken index or shard is refused with a clear message.
/// </summary>
public sealed class ShardedSafetensorsTests : IDisposable
{
    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";
    private readonly TempDir _root = new();
    private readonly string _dir;
    private readonly Dictionary<string, float[]> _values = new(StringComparer.Ordinal);

    public ShardedSafetensorsTests()
    {
        _dir = Path.Combine(_root.Path, "model");
        Directory.CreateDirectory(_dir);
    }

    public void Dispose() => _root.Dispose();

    private string IndexPath => Path.Combine(_dir, SafetensorsReader.IndexFileName);

    private void WriteShard(string file, params string[] names)
    {
        var tensors = names.Select(n =>
        {
            var v = Values(6, _values.Count + 1);
            _values[n] = v;
            return new NamedTensor(n, [2, 3], v);
        }).ToList();
        SafetensorsWriter.Write(Path.Combine(_dir, file), tensors);
    }

    private void WriteIndex(params (string Key, string File)[] map)
    {
        using var fs = File.Create(IndexPath);
        using var w = new Utf8JsonWriter(fs);
        w.WriteStartObject();
        w.WriteStartObject("metadata");
        w.WriteNumber("total_size", 0);
        w.WriteEndObject();
        w.WriteStartObject("weight_map");
        foreach (var (key, file) in map)
        {
            w.WriteString(key, file);
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void WriteStandardModel()
    {
        // Shard files list keys in their own (lexical) order; the index lists them in another order.
        WriteShard(Shard1, "b.weight", "c.weight");
        WriteShard(Shard2, "a.weight", "z.weight");
        WriteIndex(("z.weight", Shard2), ("c.weight", Shard1), ("a.weight", Shard2), ("b.weight", Shard1));
    }

    [Fact]
    public void Opening_the_directory_groups_keys_by_sorted_shard_then_index_order()
    {
        WriteStandardModel();
        using var reader = ModelOpener.Open(_dir);
        Assert.Equal("safetensors-sharded", reader.FormatName);
        Assert.Equal(["c.weight", "b.weight", "z.weight", "a.weight"], reader.Tensors.Select(t => t.Name));
        Assert.Equal([Shard1, Shard1, Shard2, Shard2], reader.Tensors.Select(t => Path.GetFileName(t.SourceFile)));
        foreach (var t in reader.Tensors)
        {
            Assert.Equal(_values[t.Name].Select(v => (double)v), reader.ReadTensor(t));
        }
    }

    [Fact]
    public void Shard_tensors_absent_from_the_index_are_not_listed()
    {
        WriteShard(Shard1, "a.weight", "extra.weight");
        WriteIndex(("a.weight", Shard1));
        using var reader = ModelOpener.Open(_dir);
        Assert.Equal(["a.weight"], reader.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void Missing_shard_is_refused()
    {
        WriteStandardModel();
        File.Delete(Path.Combine(_dir, Shard2));
        AssertRejected(() => ModelOpener.Open(_dir), IndexPath, null, $"shard '{Shard2}'", "missing");
    }

    [Fact]
    public void Key_listed_in_the_index_but_absent_from_the_shard_is_refused()
    {
        WriteStandardModel();
        WriteIndex(("a.weight", Shard2), ("ghost.weight", Shard2));
        AssertRejected(() => ModelOpener.Open(_dir), Path.Combine(_dir, Shard2), "ghost.weight", "absent from the shard");
    }

    [Theory]
    [InlineData("../x.safetensors")]
    [InlineData("../model-evil/x.safetensors")]
    [InlineData("sub/../../x.safetensors")]
    [InlineData("/etc/x.safetensors")]
    public void Shard_path_escaping_the_directory_is_refused(string shard)
    {
        // The escaping targets exist and are valid, so only the containment check can stop them.
        SafetensorsWriter.Write(Path.Combine(_root.Path, "x.safetensors"), [new NamedTensor("a.weight", [1], [1f])]);
        Directory.CreateDirectory(Path.Combine(_root.Path, "model-evil"));
        SafetensorsWriter.Write(Path.Combine(_root.Path, "model-evil", "x.safetensors"), [new NamedTensor("a.weight", [1], [1f])]);
        WriteIndex(("a.weight", shard));
        AssertRejected(() => ModelOpener.Open(_dir), IndexPath, null, $"shard '{shard}'", "outside the model directory");
    }

    [Fact]
    public void Shard_name_with_a_null_character_is_refused()
    {
        WriteIndex(("a.weight", "bad\0name.safetensors"));
        AssertRejected(() => ModelOpener.Open(_dir), IndexPath, null, "shard");
    }

    [Theory]
    [InlineData("{\"weight_map\": {\"a\": ")]
    [InlineData("not json at all")]
    [InlineData("")]
    public void Invalid_index_json_is_refused(string text)
    {
        File.WriteAllText(IndexPath, text);
        AssertRejected(() => ModelOpener.Open(_dir), IndexPath, null, "not valid JSON");
    }

    [Fact]
    public void Index_that_is_not_utf8_is_refused()
    {
        File.WriteAllBytes(IndexPath, [(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        AssertRejected(() => ModelOpener.Open(_dir), IndexPath, null, "UTF-8");
    }

    [Theory]
    [InlineData("{\"weight_map\": {\"a\\ud800\": \"x.safetensors\"}}")]
    [InlineData("{\"weight_map\": {\"a\": \"x\\udc00.safetensors\"}}")]
    public void Index_string_with_a_lone_surrogate_escape_is_refused(string text)
    {
        File.WriteAllText(IndexPath, text);
        AssertRejected(() => ModelOpener.Open(_dir), IndexPath, null, "not valid Unicode");
    }

    [Theory]
    [InlineData("[]", "no 'weight_map'")]
    [InlineData("{\"metadata\": {}}", "no 'weight_map'")]
    [InlineData("{\"weight_map\": [\"a\"]}", "no 'weight_map'")]
    [InlineData("{\"weight_map\": {\"a.weight\": 3}}", "not a file name")]
    public void Index_without_a_usable_weight_map_is_refused(string text, string reason)
    {
        File.WriteAllText(IndexPath, text);
        AssertRejected(() => ModelOpener.Open(_dir), IndexPath, null, reason);
    }

    [Fact]
    public void Key_listed_twice_in_the_index_is_refused()
    {
        WriteShard(Shard1, "a.weight");
        File.WriteAllText(IndexPath, $"{{\"weight_map\": {{\"a.weight\": \"{Shard1}\", \"a.weight\": \"{Shard1}\"}}}}");
        AssertRejected(() => ModelOpener.Open(_dir), IndexPath, "a.weight", "more than once");
    }

    [Fact]
    public void Shard_with_a_duplicate_tensor_name_is_refused()
    {
        string entry = "\"a.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        string dup = "\"a.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}";
        File.WriteAllBytes(Path.Combine(_dir, Shard1), Safetensors("{" + entry + "," + dup + "}", new byte[8]));
        WriteIndex(("a.weight", Shard1));
        AssertRejected(() => ModelOpener.Open(_dir), Path.Combine(_dir, Shard1), "a.weight", "more than once");
    }

    [Fact]
    public void Broken_shard_is_refused_naming_the_shard()
    {
        WriteStandardModel();
        string shard = Path.Combine(_dir, Shard1);
        File.WriteAllBytes(shard, File.ReadAllBytes(shard)[..^4]);
        AssertRejected(() => ModelOpener.Open(_dir), shard, "c.weight", "beyond the data area");
    }
}
