using Google.Protobuf;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Onnx;
using WeightWatcher.Core.Formats.Onnx.Proto;
using WeightWatcher.Core.Layers;
using static WeightWatcher.Core.Tests.Formats.Onnx.OnnxFixtures;
using DataType = WeightWatcher.Core.Formats.Onnx.Proto.TensorProto.Types.DataType;

namespace WeightWatcher.Core.Tests.Formats.Onnx;

/// <summary>
/// Mutation fuzzing (<see cref="FormatFuzzer"/>) of the ONNX reader: a few thousand damaged versions (bit flips, interesting bytes,
/// truncations, insertions, deletions) of small valid models are opened and every tensor read. The only
/// exception allowed is <see cref="ModelFormatException"/>; no case may take over 2 s.
/// </summary>
public sealed class OnnxFuzzTests : IDisposable
{
    private const int CasesPerSeed = 1000;
    private static readonly byte[] Interesting = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x08, 0x0A, 0x12, 0x3A, 0x2A, 0x4A];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Mutated_onnx_models_are_read_or_refused_with_ModelFormatException_only()
    {
        var seeds = BuildSeeds();
        int detectedOnnx = 0;
        long tensorsRead = 0;
        var report = await FormatFuzzer.RunAsync(_dir.Path, seeds, new FuzzOptions
        {
            Exercise = path =>
            {
                bool detected = ModelOpener.Detect(path) == ModelFileKind.Onnx;
                detectedOnnx += detected ? 1 : 0;
                // Undetected mutations are fed to the ONNX reader directly, so that it sees them too.
                using var reader = detected ? ModelOpener.Open(path) : OnnxReader.Open(path);
                foreach (var t in reader.Tensors)
                {
                    reader.ReadTensor(t);
                    tensorsRead++;
                }
                _ = LayerEnumerator.EnumerateAll(reader);
            },
            Mutate = (original, _, random) => Mutate(original, random),
            CasesPerSeed = CasesPerSeed,
            RandomSeed = 20261129,
            OneRandomForAllSeeds = true,
            SeedsMustBeValid = true,
            RunTimeout = TimeSpan.FromSeconds(180),
        });
        TestContext.Current.SendDiagnosticMessage($"onnx fuzz: {detectedOnnx} cases detected as ONNX, {tensorsRead} tensors read");

        report.AssertNoProblems();
        Assert.True(report.Cases >= 3000);
        report.AssertExercised(seeds.Count * CasesPerSeed, minRejected: 0.1, minAccepted: 0.05);
    }

    private static List<FuzzSeed> BuildSeeds()
    {
        var strings = Tensor("labels", [2], DataType.String);
        strings.StringData.Add(ByteString.CopyFromUtf8("cat"));
        strings.StringData.Add(ByteString.CopyFromUtf8("dog"));
        var raw = Model(
            RawFloat("conv.weight", [12, 4, 3, 3], Values(432, 1)),
            RawFloat("conv.bias", [12], Values(12, 2)),
            RawHalf("fc.weight", [12, 10], Values(120, 3)),
            strings,
            RawBFloat16("head.weight", [10, 12], Values(120, 4)));

        var f = Tensor("typed.weight", [12, 10], DataType.Float);
        f.FloatData.AddRange(Values(120, 5));
        var h = Tensor("half.weight", [10, 11], DataType.Float16);
        h.Int32Data.AddRange(Values(110, 6).Select(v => (int)BitConverter.HalfToUInt16Bits((Half)v)));
        var l = Tensor("shape", [2], DataType.Int64);
        l.Int64Data.AddRange([-1L, 10L]);
        var typed = Model(f, h, l);

        // The external file sits next to every mutated model and is never mutated itself.
        var external = Model(
            External("e1.weight", [12, 10], DataType.Float, "ext.bin", 0, 480),
            External("e2.weight", [10, 12], DataType.Float, "ext.bin", 480, 480),
            RawFloat("inline.weight", [11, 10], Values(110, 8)));
        var externalFiles = new Dictionary<string, byte[]> { ["case.onnx"] = external.ToByteArray(), ["ext.bin"] = FloatBytes(Values(240, 7)) };

        return
        [
            FuzzSeed.SingleFile("raw-f32-f16-bf16-string", "case.onnx", raw.ToByteArray()),
            FuzzSeed.SingleFile("typed-float-int32-int64", "case.onnx", typed.ToByteArray()),
            new FuzzSeed("external-data", externalFiles, "case.onnx", "case.onnx", []),
            FuzzSeed.SingleFile("unpacked-float-data", "case.onnx", UnpackedFloatModel("u.weight", [12, 10], Values(120, 9))),
        ];
    }

    private static (byte[] Bytes, string Description) Mutate(byte[] model, Random random)
    {
        var bytes = (byte[])model.Clone();
        int kind = random.Next(100);
        if (kind < 35)
        {
            int flips = random.Next(1, 5);
            var at = new List<int>();
            for (int i = 0; i < flips; i++)
            {
                int p = random.Next(bytes.Length);
                bytes[p] ^= (byte)(1 << random.Next(8));
                at.Add(p);
            }
            return (bytes, $"bit flips at {string.Join(",", at)}");
        }
        if (kind < 55)
        {
            int p = random.Next(bytes.Length);
            byte v = Interesting[random.Next(Interesting.Length)];
            bytes[p] = v;
            return (bytes, $"byte {p} = 0x{v:X2}");
        }
        if (kind < 75)
        {
            int length = random.Next(bytes.Length);
            return (bytes[..length], $"truncated to {length}");
        }
        if (kind < 85)
        {
            int p = random.Next(bytes.Length);
            var insert = new byte[random.Next(1, 9)];
            random.NextBytes(insert);
            return ([.. bytes[..p], .. insert, .. bytes[p..]], $"{insert.Length} bytes inserted at {p}");
        }
        if (kind < 95)
        {
            int p = random.Next(bytes.Length);
            int n = Math.Min(random.Next(1, 17), bytes.Length - p);
            return ([.. bytes[..p], .. bytes[(p + n)..]], $"{n} bytes deleted at {p}");
        }
        // A varint-looking run: a length prefix made huge.
        int q = random.Next(bytes.Length - 5);
        bytes[q] = 0xFF;
        bytes[q + 1] = 0xFF;
        bytes[q + 2] = 0xFF;
        bytes[q + 3] = 0xFF;
        bytes[q + 4] = 0x07;
        return (bytes, $"huge varint at {q}");
    }
}
