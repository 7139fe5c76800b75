using System.Text;
using WeightWatcher.Core.Formats;
using static WeightWatcher.Core.Tests.Formats.ModelFiles;

namespace WeightWatcher.Core.Tests.Formats;

/// <summary>The reader fuzz seeds: safetensors, npy, npz and sharded-index models (mutated by <see cref="ByteMutations"/>).</summary>
internal static class FuzzSeeds
{
    public static List<FuzzSeed> Build()
    {
        var seeds = new List<FuzzSeed>();

        var mixed = BuildMixedSafetensors();
        seeds.Add(new("safetensors-mixed-dtypes", new Dictionary<string, byte[]> { ["m.safetensors"] = mixed }, "m.safetensors", "m.safetensors", [(0, 8)]));

        string written = Path.GetTempFileName();
        try
        {
            SafetensorsWriter.Write(written, [new("l1.weight", [4, 5], Values(20, 1)), new("l1.bias", [4], Values(4, 2)), new("l2.weight", [3, 4], Values(12, 3))]);
            seeds.Add(new("safetensors-writer", new Dictionary<string, byte[]> { ["w.safetensors"] = File.ReadAllBytes(written) }, "w.safetensors", "w.safetensors", [(0, 8)]));

            var npy = new MemoryStream();
            NumpyWriter.WriteNpy(npy, new NamedTensor("x", [3, 4], Values(12, 4)));
            seeds.Add(new("npy", new Dictionary<string, byte[]> { ["x.npy"] = npy.ToArray() }, "x.npy", "x.npy", [(8, 2)]));

            var fortran = Npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", new byte[48]);
            seeds.Add(new("npy-fortran-f8", new Dictionary<string, byte[]> { ["f.npy"] = fortran }, "f.npy", "f.npy", [(8, 2)]));

            foreach (bool compress in new[] { false, true })
            {
                NumpyWriter.WriteNpz(written, [new("a", [4, 5], Values(20, 5)), new("b.bias", [5], Values(5, 6))], compress);
                var zip = File.ReadAllBytes(written);
                seeds.Add(new(compress ? "npz-compressed" : "npz-stored", new Dictionary<string, byte[]> { ["z.npz"] = zip }, "z.npz", "z.npz", ByteMutations.ZipLengthFields(zip)));
            }

            string index = "{\"metadata\":{\"total_size\":96},\"weight_map\":{\"b.weight\":\"s-2.safetensors\",\"a.weight\":\"s-1.safetensors\",\"c.weight\":\"s-1.safetensors\"}}";
            SafetensorsWriter.Write(written, [new("a.weight", [2, 3], Values(6, 7)), new("c.weight", [3], Values(3, 8))]);
            var shard1 = File.ReadAllBytes(written);
            SafetensorsWriter.Write(written, [new("b.weight", [2, 2], Values(4, 9))]);
            var shard2 = File.ReadAllBytes(written);
            var sharded = new Dictionary<string, byte[]>
            {
                [SafetensorsReader.IndexFileName] = Encoding.UTF8.GetBytes(index),
                ["s-1.safetensors"] = shard1,
                ["s-2.safetensors"] = shard2,
            };
            seeds.Add(new("sharded-index", sharded, SafetensorsReader.IndexFileName, ".", []));
            seeds.Add(new("sharded-shard", sharded, "s-1.safetensors", ".", [(0, 8)]));
        }
        finally
        {
            File.Delete(written);
        }
        return seeds;
    }

    private static byte[] BuildMixedSafetensors()
    {
        var data = new MemoryStream();
        var entries = new List<string>();
        void Add(string name, string dtype, string shape, byte[] bytes)
        {
            entries.Add($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{data.Length},{data.Length + bytes.Length}]}}");
            data.Write(bytes);
        }
        Add("f32.weight", "F32", "[3,4]", F32(Values(12, 10)));
        Add("f16", "F16", "[5]", [0, 0x3C, 0, 0xC0, 0xFF, 0x7B, 1, 0, 0, 0x80]);
        Add("bf16", "BF16", "[2,2]", [0x80, 0x3F, 0, 0, 0x80, 0x7F, 0xC0, 0xFF]);
        Add("i64", "I64", "[2]", [1, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]);
        Add("u8", "U8", "[3]", [0, 128, 255]);
        Add("scalar", "F64", "[]", new byte[8]);
        Add("empty", "F32", "[0,7]", []);
        string header = "{\"__metadata__\":{\"format\":\"pt\"}," + string.Join(",", entries) + "}";
        return Safetensors(header, data.ToArray());
    }
}
