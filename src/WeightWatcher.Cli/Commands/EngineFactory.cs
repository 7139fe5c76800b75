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
    public static Option<string> Precision { get; } = new("--precision")
    {
        Description = "double (reference semantics, default) or single (float32 LAPACK: faster, small error)",
        DefaultValueFactory = _ => "double",
    };

    public static Option<int> Threads { get; } = new("--threads")
    {
        Description = "Layers analyzed at once (default: the number of cores)",
        DefaultValueFactory = _ => 0,
    };

    public static void AddTo(Command command)
    {
        command.Options.Add(Precision);
        command.Options.Add(Threads);
    }

    public static (Analyzer Analyzer, ISpectralBackend Backend) Create(ParseResult p)
    {
        var precision = p.GetValue(Precision) switch
        {
            "double" => SpectralPrecision.Double,
            "single" => SpectralPrecision.Single,
            var other => throw new ArgumentException($"--precision must be double or single, not '{other}'"),
        };
        int threads = p.GetValue(Threads);
        return Create(precision, threads);
    }

    public static (Analyzer Analyzer, ISpectralBackend Backend) Create(SpectralPrecision precision, int threads)
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
        return (new Analyzer(backend, layers), backend);
    }
}
