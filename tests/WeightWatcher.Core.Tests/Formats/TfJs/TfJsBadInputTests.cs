using System.Text;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.TfJs;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.ModelFiles;
using static WeightWatcher.Core.Tests.Formats.TfJs.TfJsModelBuilder;

namespace WeightWatcher.Core.Tests.Formats.TfJs;

/// <summary>Broken TF.js models: each is refused with a <see cref="ModelFormatException"/> naming the file, the weight when one is concerned, and the reason.</summary>
public sealed class TfJsBadInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<TfJsTestWeight> Weights() =>
    [
        TfJsTestWeight.Float32("dense/kernel", [8, 4], RandomFloats(32, 1)),
        TfJsTestWeight.Float32("dense/bias", [4], RandomFloats(4, 2)),
    ];

    private string Model(string name, Func<string, string>? editJson = null, string format = "layers-model", params int[] splits)
    {
        var files = Build(format, Sequential(Layer("Dense", "dense")), Weights(), splits.Length == 0 ? [64] : splits);
        if (editJson is not null)
        {
            files["model.json"] = Encoding.UTF8.GetBytes(editJson(Encoding.UTF8.GetString(files["model.json"])));
        }
        return WriteTo(_dir.File(name), files);
    }

    private static string Json(string dir) => Path.Combine(dir, "model.json");

    [Fact]
    public void Missing_shard_is_a_clear_error()
    {
        string dir = Model("missing");
        File.Delete(Path.Combine(dir, "group1-shard2of2.bin"));
        AssertOpenRejected(dir, null, "shard 'group1-shard2of2.bin' is missing");
        Assert.Contains(Json(dir), Assert.Throws<ModelFormatException>(() => TfJsReader.Open(dir)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../outside.bin")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../x.bin")]
    public void Shards_outside_the_model_directory_are_refused(string shard)
    {
        string dir = Model("outside-" + Math.Abs(shard.GetHashCode()), j => j.Replace("\"group1-shard1of2.bin\"", $"\"{shard}\"", StringComparison.Ordinal));
        File.WriteAllBytes(_dir.File("outside.bin"), new byte[1024]);
        AssertRejected(() => TfJsReader.Open(dir), Json(dir), null, "points outside the model directory");
    }

    [Fact]
    public void Truncated_shards_name_the_weight_that_runs_past_the_end()
    {
        string dir = Model("short");
        string shard2 = Path.Combine(dir, "group1-shard2of2.bin");
        File.WriteAllBytes(shard2, File.ReadAllBytes(shard2)[..^3]);
        AssertRejected(() => TfJsReader.Open(dir), Json(dir), "dense/bias", "needs 16 bytes", "shards hold");
    }

    [Fact]
    public void A_shard_that_shrinks_after_opening_fails_on_read()
    {
        string dir = Model("shrink");
        using var reader = TfJsReader.Open(dir);
        string shard2 = Path.Combine(dir, "group1-shard2of2.bin");
        File.WriteAllBytes(shard2, new byte[10]);
        AssertRejected(() => reader.ReadTensor(reader.Tensors[0]), shard2, "dense/kernel", "beyond the end of the shard");
    }

    [Theory]
    [InlineData("\"shape\":[8,4]", "\"shape\":[1048576,1048576]", "dense/kernel", "needs")]
    [InlineData("\"shape\":[8,4]", "\"shape\":[4611686018427387904,4611686018427387904]", "dense/kernel", "overflows")]
    [InlineData("\"shape\":[8,4]", "\"shape\":[8,-4]", "dense/kernel", "not a non-negative integer")]
    [InlineData("\"shape\":[8,4]", "\"shape\":[8,4.5]", "dense/kernel", "not a non-negative integer")]
    [InlineData("\"dtype\":\"float32\"}", "\"dtype\":\"complex64\"}", "dense/kernel", "dtype 'complex64' is not supported")]
    [InlineData("\"dtype\":\"float32\"}", "\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"uint8\",\"scale\":0.5}}", "dense/kernel", "'min' is missing")]
    [InlineData("\"dtype\":\"float32\"}", "\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"int4\",\"scale\":1,\"min\":0}}", "dense/kernel", "quantization dtype 'int4'")]
    [InlineData("\"name\":\"dense/bias\"", "\"name\":\"dense/kernel\"", "dense/kernel", "more than once")]
    public void Bad_manifest_entries_name_the_weight(string from, string to, string tensor, string reason)
    {
        string dir = Model("entry-" + Math.Abs((from + to).GetHashCode()), j => ReplaceFirst(j, from, to));
        AssertRejected(() => TfJsReader.Open(dir), Json(dir), tensor, reason);
    }

    [Theory]
    [InlineData("{\"weightsManifest\":{}}", "'weightsManifest' is not an array")]
    [InlineData("{\"weightsManifest\":[{\"paths\":[]}]}", "lacks a 'paths' array and a 'weights' array")]
    [InlineData("{\"weightsManifest\":[{\"paths\":[1],\"weights\":[]}]}", "path that is not a string")]
    [InlineData("{\"weightsManifest\":[{\"paths\":[\"\"],\"weights\":[]}]}", "not a valid file name")]
    [InlineData("{\"format\":\"layers-model\",\"weightsManifest\":[]}", "no 'modelTopology'")]
    [InlineData("{\"format\":\"layers-model\",\"modelTopology\":{\"class_name\":\"Sequential\"},\"weightsManifest\":[]}", "no model config with a 'layers' list")]
    [InlineData("{\"format\":\"layers-model\",\"modelTopology\":{\"class_name\":\"Sequential\",\"config\":{\"layers\":[{\"class_name\":\"Dense\"}]}},\"weightsManifest\":[]}", "has no class_name or name")]
    [InlineData("{\"weightsManifest\":[{\"paths\":[\"a.bin\"],\"weights\":[{\"name\":\"w\",\"shape\":[2]", "invalid JSON")]
    public void Bad_model_json_is_refused_with_the_reason(string json, string reason)
    {
        string dir = _dir.File("json-" + Math.Abs(json.GetHashCode()));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Json(dir), json);
        AssertRejected(() => TfJsReader.Open(dir), Json(dir), null, reason);
    }

    [Fact]
    public void A_json_file_without_weights_manifest_is_not_taken_for_tfjs()
    {
        string dir = _dir.File("plain-json");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Json(dir), "{\"modelTopology\":{}}");
        Assert.False(TfJsReader.LooksLikeModelJson(Json(dir)));
        Assert.Throws<ModelFormatException>(() => ModelOpener.Open(dir));
        AssertRejected(() => TfJsReader.Open(dir), Json(dir), null, "no 'weightsManifest'");
    }

    private static string ReplaceFirst(string s, string from, string to)
    {
        int at = s.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{from}' not in model.json");
        return s[..at] + to + s[(at + from.Length)..];
    }
}
