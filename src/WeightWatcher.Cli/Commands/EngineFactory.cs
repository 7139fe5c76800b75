using System.CommandLine;
using Serilog;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Cli.Commands;

/// <summary>
/// Builds the analysis engine for a command: the spectral backend (OpenBLAS when its native library
/// loads, else the managed one, said in the first line of output) and the parallelism policy. The policy is
/// layer-parallel: as many layers as cores at once, each OpenBLAS call single-threaded, so the threads
/// never oversubscribe the cores (measured by <c>ww bench</c> against the opposite policy).
/// </summary>
internal static class EngineFactory
{
    public static Option<string> Precision { get; } = new Option<string>("--precision")
    {
        Description = "double (reference semantics) or single (float32 LAPACK: faster, small error)",
        DefaultValueFactory = _ => "double",
    }.AcceptOnlyFromAmong("double", "single");

    public static Option<int> Threads { get; } = new("--threads")
    {
        Description = "Layers analyzed at once (default: the number of cores)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<long> MaxMemory { get; } = CliOptions.MaxMemory();

    public static void AddTo(Command command) => command.AddOptions(Precision, Threads, MaxMemory);

    public static (Analyzer Analyzer, ISpectralBackend Backend) Create(ParseResult p)
    {
        // The parser has already refused any other word (AcceptOnlyFromAmong).
        var precision = p.GetValue(Precision) == "single" ? SpectralPrecision.Single : SpectralPrecision.Double;
        int threads = p.GetValue(Threads);
        return Create(precision, threads, p.GetValue(MaxMemory));
    }

    public static (Analyzer Analyzer, ISpectralBackend Backend) Create(SpectralPrecision precision, int threads, long maxMemory)
    {
        var backend = SpectralBackends.Create(precision, out var warning);
        if (warning is not null)
        {
            Native.BackendNotice.PrintIfManaged();
            Log.Information("{Warning}", warning);
        }
        if (backend is OpenBlasSpectralBackend)
        {
            OpenBlasSpectralBackend.Threads = 1;
        }
        int layers = threads > 0 ? threads : Environment.ProcessorCount;
        return (new Analyzer(backend, layers, new MemoryBudget(maxMemory)), backend);
    }
}
