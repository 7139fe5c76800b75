using System.Diagnostics;
using Google.Protobuf;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Formats.Onnx;
using WeightWatcher.Core.Formats.Onnx.Proto;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Tests.Support;
using static WeightWatcher.Core.Tests.Formats.Onnx.OnnxFixtures;
using DataType = WeightWatcher.Core.Formats.Onnx.Proto.TensorProto.Types.DataType;

namespace WeightWatcher.Core.Tests.Formats.Onnx;

/// <summary>
/// Mutation fuzzing of the ONNX reader: a few thousand damaged versions (bit flips, interesting bytes,
/// truncations, insertions, deletions) of small valid models are opened and every tensor read. The only
/// exception allowed is <see cref="ModelFormatException"/>; no case may take over 2 s.
/// </summary>
public sealed class OnnxFuzzTests : IDisposable
{
    private const int CasesPerSeed = 1000;
    private const int Seed = 20261129;
    private const long MaxCaseMilliseconds = 2000;
    private static readonly byte[] Interesting = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x08, 0x0A, 0x12, 0x3A, 0x2A, 0x4A];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class Stats
    {
        public int Cases;
        public int Rejected;
        public int Accepted;
        public int DetectedOnnx;
        public long TensorsRead;
        public long LongestMs;
        public string LongestCase = "";
        public volatile string Current = "";
        public readonly List<string> Problems = [];
    }

    [Fact]
    public async Task Mutated_onnx_models_are_read_or_refused_with_ModelFormatException_only()
    {
        var seeds = BuildSeeds();
        var stats = new Stats();
        var ct = TestContext.Current.CancellationToken;
        var total = Stopwatch.StartNew();
        // The loop runs on its own thread so that a real hang fails the test instead of stalling the run.
        var run = Task.Factory.StartNew(() => Run(seeds, stats), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            await run.WaitAsync(TimeSpan.FromSeconds(180), ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"fuzz did not finish: stuck in case {stats.Current}");
        }
        total.Stop();
        TestContext.Current.SendDiagnosticMessage(
            $"onnx fuzz: {stats.Cases} cases, {stats.Rejected} rejected, {stats.Accepted} accepted, {stats.DetectedOnnx} detected as ONNX, " +
            $"{stats.TensorsRead} tensors read, longest case {stats.LongestMs} ms ({stats.LongestCase}), total {total.ElapsedMilliseconds} ms");

        Assert.True(stats.Problems.Count == 0, $"{stats.Problems.Count} bad outcomes, first ones:\n" + string.Join("\n", stats.Problems.Take(25)));
        Assert.Equal(seeds.Count * CasesPerSeed, stats.Cases);
        Assert.True(stats.Cases >= 3000);
        // A fuzz that rejects everything (or nothing) is not exercising the reader.
        Assert.True(stats.Rejected > stats.Cases / 10 && stats.Accepted > stats.Cases / 20, $"rejected {stats.Rejected}, accepted {stats.Accepted}");
        Assert.True(stats.LongestMs <= MaxCaseMilliseconds, $"longest case {stats.LongestMs} ms: {stats.LongestCase}");
    }

    private List<(string Name, byte[] Model)> BuildSeeds()
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
        File.WriteAllBytes(_dir.File("ext.bin"), FloatBytes(Values(240, 7)));
        var external = Model(
            External("e1.weight", [12, 10], DataType.Float, "ext.bin", 0, 480),
            External("e2.weight", [10, 12], DataType.Float, "ext.bin", 480, 480),
            RawFloat("inline.weight", [11, 10], Values(110, 8)));

        return
        [
            ("raw-f32-f16-bf16-string", raw.ToByteArray()),
            ("typed-float-int32-int64", typed.ToByteArray()),
            ("external-data", external.ToByteArray()),
            ("unpacked-float-data", UnpackedFloatModel("u.weight", [12, 10], Values(120, 9))),
        ];
    }

    private void Run(List<(string Name, byte[] Model)> seeds, Stats stats)
    {
        var random = new Random(Seed);
        for (int s = 0; s < seeds.Count; s++)
        {
            var (name, model) = seeds[s];
            // Every seed is itself valid and fully readable.
            string valid = _dir.File($"{name}.onnx");
            File.WriteAllBytes(valid, model);
            using (var reader = ModelOpener.Open(valid))
            {
                Assert.NotEmpty(reader.Tensors);
                foreach (var t in reader.Tensors)
                {
                    reader.ReadTensor(t);
                }
            }
            for (int c = 0; c < CasesPerSeed; c++)
            {
                var (bytes, description) = Mutate(model, random);
                string label = $"{name} #{c}: {description}";
                stats.Current = label;
                string path = _dir.File("case.onnx");
                File.WriteAllBytes(path, bytes);
                var sw = Stopwatch.StartNew();
                RunCase(path, label, stats);
                sw.Stop();
                stats.Cases++;
                if (sw.ElapsedMilliseconds > stats.LongestMs)
                {
                    stats.LongestMs = sw.ElapsedMilliseconds;
                    stats.LongestCase = label;
                }
                if (sw.ElapsedMilliseconds > MaxCaseMilliseconds)
                {
                    stats.Problems.Add($"{label}: took {sw.ElapsedMilliseconds} ms");
                }
            }
        }
    }

    private static void RunCase(string path, string label, Stats stats)
    {
        try
        {
            bool detected = ModelOpener.Detect(path) == ModelFileKind.Onnx;
            if (detected)
            {
                stats.DetectedOnnx++;
            }
            // Undetected mutations are fed to the ONNX reader directly, so that it sees them too.
            using var reader = detected ? ModelOpener.Open(path) : OnnxReader.Open(path);
            foreach (var t in reader.Tensors)
            {
                reader.ReadTensor(t);
                stats.TensorsRead++;
            }
            _ = LayerEnumerator.EnumerateAll(reader);
            stats.Accepted++;
        }
        catch (ModelFormatException e)
        {
            stats.Rejected++;
            if (e.File.Length == 0 || !e.Message.Contains(e.File, StringComparison.Ordinal) || e.Reason.Length == 0)
            {
                stats.Problems.Add($"{label}: exception without file or reason: {e.Message}");
            }
        }
        catch (Exception e)
        {
            stats.Problems.Add($"{label}: {e.GetType().Name}: {e.Message}");
        }
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
