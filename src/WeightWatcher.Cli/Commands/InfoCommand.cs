using System.CommandLine;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Cli.Commands;

/// <summary><c>ww info</c>: which spectral backend runs, and how.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show the spectral backend (OpenBLAS version and threads, or the managed fallback)");
        command.SetAction(_ =>
        {
            Console.WriteLine($"ww {typeof(InfoCommand).Assembly.GetName().Version}, .NET {Environment.Version}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            if (OpenBlasSpectralBackend.IsAvailable)
            {
                Console.WriteLine("backend: OpenBLAS (native provider libMathNetNumericsOpenBLAS.so)");
                Console.WriteLine($"  build: {OpenBlasSpectralBackend.BuildConfig}");
                Console.WriteLine($"  kernel: {OpenBlasSpectralBackend.CpuCore}{(Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is { Length: > 0 } forced ? $" (OPENBLAS_CORETYPE={forced})" : "")}");
                Console.WriteLine($"  threads per call: {OpenBlasSpectralBackend.Threads} available; analyze uses 1 per call and {Environment.ProcessorCount} layers at once");
                Console.WriteLine("  ESD route: Gram matrix (recursive dgemm + dsyevd) when lambda_min >= 1e-4 lambda_max, else dgesdd (values only)");
                Console.WriteLine($"  Math.NET provider: {(MathNet.Numerics.Control.TryUseNativeOpenBLAS() ? MathNet.Numerics.Control.Describe().Split('\n').FirstOrDefault(l => l.StartsWith("Linear Algebra Provider", StringComparison.Ordinal))?.Trim() : "native load failed")}");
                MathNet.Numerics.Control.UseManaged();
            }
            else
            {
                Console.WriteLine("backend: managed (Math.NET Numerics), because " + OpenBlasSpectralBackend.UnavailableReason);
                Console.WriteLine("  build the native provider with: dotnet tool restore && dotnet cake --target=Native");
            }
            return CliErrors.Success;
        });
        return command;
    }
}
