using System.CommandLine;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Cli.Commands;

/// <summary><c>ww info</c>: which spectral backend runs, and how.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show the spectral backend (OpenBLAS version and threads, or the managed fallback)");
        var check = new Option<bool>("--check")
        {
            Description = "Also analyze the embedded reference model with OpenBLAS and with the managed provider and compare every value (exit 1 beyond 1e-8 relative): checks an OpenBLAS build or OPENBLAS_CORETYPE on new hardware",
        };
        command.Options.Add(check);
        command.SetAction(p =>
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
            return p.GetValue(check) ? Check() : CliErrors.Success;
        });
        return command;
    }

    /// <summary>Native against managed on the embedded reference model (the golden tests' model and options).</summary>
    private static int Check()
    {
        if (!OpenBlasSpectralBackend.IsAvailable)
        {
            Console.WriteLine("check: skipped, the native provider is not loaded");
            return CliErrors.Success;
        }
        const double limit = 1e-8;
        using var model = ModelSource.Open(null);
        var native = new OpenBlasSpectralBackend();
        var result = BackendAgreement.Compare(model.Reader, native, ManagedSpectralBackend.Instance, new AnalysisOptions { MpFit = true, DetX = true });
        bool ok = result.MaxRelativeDifference <= limit;
        Console.WriteLine(FormattableString.Invariant(
            $"check: {native.Name} vs managed on the embedded reference model: {result.Rows} rows, {result.Values} values, max relative difference {result.MaxRelativeDifference:E2} (limit {limit:E0}, at {result.Worst}): {(ok ? "OK" : "FAILED")}"));
        return ok ? CliErrors.Success : 1;
    }
}
