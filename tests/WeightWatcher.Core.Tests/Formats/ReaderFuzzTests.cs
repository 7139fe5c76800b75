namespace WeightWatcher.Core.Tests.Formats;

/// <summary>
/// Mutation fuzzing of the model readers (<see cref="FormatFuzzer"/>): thousands of damaged safetensors, npy,
/// npz and sharded-index files (deterministic seed) are opened and every tensor read. The only exception
/// allowed is <see cref="WeightWatcher.Core.Formats.ModelFormatException"/> naming a file of the model; no
/// case may hang (over 2 s) or allocate absurd memory.
/// </summary>
public sealed class ReaderFuzzTests : IDisposable
{
    private const int CasesPerSeed = 500;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Mutated_model_files_are_read_or_refused_with_ModelFormatException_only()
    {
        var seeds = FuzzSeeds.Build();
        var report = await FormatFuzzer.RunAsync(_dir.Path, seeds, new FuzzOptions
        {
            Exercise = path => ModelFiles.OpenAndReadAll(path),
            CasesPerSeed = CasesPerSeed,
            RandomSeed = 20240611,
            MaxCaseAllocation = 64L << 20,
            RunTimeout = TimeSpan.FromSeconds(120),
        });

        report.AssertNoProblems();
        Assert.True(report.Cases >= 3000);
        report.AssertExercised(seeds.Count * CasesPerSeed, minRejected: 0.1, minAccepted: 0.05);
    }
}
