using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Native;

/// <summary>
/// One <see cref="OpenBlasSpectralBackend"/> shared by concurrent tasks (as the analyzer shares it across
/// layers) gives the same values as sequential calls. In the global-state collection because one case
/// sets OpenBLAS to a single thread per call, as the analyzer does.
/// </summary>
[Collection(NativeGlobalStateCollection.Name)]
public sealed class NativeConcurrencyTests
{
    private const int TaskCount = 8;
    private const int Rounds = 3;

    [Theory]
    [InlineData(SpectralPrecision.Double, 0)]
    [InlineData(SpectralPrecision.Double, 1)]
    [InlineData(SpectralPrecision.Single, 0)]
    public async Task Parallel_tasks_give_the_same_values_as_sequential_calls(SpectralPrecision precision, int threads)
    {
        Backends.RequireNative();
        int previousThreads = OpenBlasSpectralBackend.Threads;
        if (threads > 0)
        {
            OpenBlasSpectralBackend.Threads = threads;
        }
        try
        {
            var backend = new OpenBlasSpectralBackend(precision);
            var matrices = Matrices();
            var sequential = matrices.Select(backend.SingularValues).ToArray();
            long sequentialGram = backend.GramRouteCount;
            long sequentialSvd = backend.SvdRouteCount;
            Assert.True(sequentialGram > 0 && sequentialSvd > 0, $"the matrices should exercise both routes (Gram {sequentialGram}, gesdd {sequentialSvd})");

            var results = new double[TaskCount][][];
            // Dedicated threads, released together, so the calls really overlap.
            using var start = new Barrier(TaskCount);
            var tasks = Enumerable.Range(0, TaskCount).Select(t => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                results[t] = new double[Rounds][];
                for (int round = 0; round < Rounds; round++)
                {
                    // Each task starts at a different matrix so different shapes and routes overlap.
                    results[t][round] = backend.SingularValues(matrices[(t + round) % matrices.Length]);
                }
            }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
            await Task.WhenAll(tasks);

            double worst = 0;
            for (int t = 0; t < TaskCount; t++)
            {
                for (int round = 0; round < Rounds; round++)
                {
                    int index = (t + round) % matrices.Length;
                    var expected = sequential[index];
                    var actual = results[t][round];
                    Assert.Equal(expected.Length, actual.Length);
                    double difference = NativeTestData.NormwiseDifference(actual, expected);
                    worst = Math.Max(worst, difference);
                    Assert.True(difference <= 1e-14,
                        $"task {t}, round {round}, matrix {index} ({NativeTestData.Shape(matrices[index])}): differs from the sequential result by {difference:E2} of s_max");
                }
            }
            TestContext.Current.SendDiagnosticMessage($"concurrency ({precision}, OpenBLAS threads {OpenBlasSpectralBackend.Threads}): worst difference from sequential {worst:E2}");
            Assert.Equal(sequentialGram + sequentialSvd + (TaskCount * Rounds), backend.GramRouteCount + backend.SvdRouteCount);
        }
        finally
        {
            OpenBlasSpectralBackend.Threads = previousThreads;
        }
    }

    private static WeightMatrix[] Matrices() =>
    [
        NativeTestData.Random(320, 80, 7001),
        NativeTestData.Random(80, 320, 7002),
        NativeTestData.Random(160, 160, 7003),
        NativeTestData.RankDeficient(200, 90, 20, 7004),
        NativeTestData.Random(1, 150, 7005),
        NativeTestData.Random(150, 1, 7006),
        NativeTestData.Random(500, 60, 7007),
        NativeTestData.Random(70, 210, 7008),
        NativeTestData.RankDeficient(64, 128, 16, 7009),
    ];
}
