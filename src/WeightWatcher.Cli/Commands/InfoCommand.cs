using System.CommandLine;
using WeightWatcher.Cli.Native;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Spectral;
using WeightWatcher.Core.Spectral.Kernels;

namespace WeightWatcher.Cli.Commands;

/// <summary><c>ww info</c>: which spectral backend runs, with which OpenBLAS kernel family, and why.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show the spectral backend: OpenBLAS version, the kernel family detected and chosen and why, threads (or why the managed provider runs)");
        var check = new Option<bool>("--check")
        {
            Description = "Also analyze the embedded reference model with OpenBLAS and with the managed provider and compare every value (exit 1 beyond 1e-8 relative): checks an OpenBLAS build or OPENBLAS_CORETYPE on new hardware",
        };
        // Machine-readable lines for the kernel selector's child processes.
        var probe = new Option<bool>("--probe") { Hidden = true };
        command.Options.Add(check);
        command.Options.Add(probe);
        command.SetAction(p =>
        {
            if (p.GetValue(probe))
            {
                if (!OpenBlasSpectralBackend.IsAvailable)
                {
                    Console.Error.WriteLine("native provider unavailable: " + OpenBlasSpectralBackend.UnavailableReason);
                    return CliErrors.BadInput;
                }
                Console.WriteLine(KernelSelector.CoreLine + OpenBlasKernel.Loaded);
                Console.WriteLine(KernelSelector.ConfigLine + OpenBlasSpectralBackend.BuildConfig);
            }
            else
            {
                Describe();
            }
            return p.GetValue(check) ? Check() : CliErrors.Success;
        });
        return command;
    }

    private static void Describe()
    {
        Console.WriteLine($"ww {typeof(InfoCommand).Assembly.GetName().Version}, .NET {Environment.Version}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        Console.WriteLine($"cpu: {CpuFeatures.Current()}");
        if (!OpenBlasSpectralBackend.IsAvailable)
        {
            Console.WriteLine("backend: managed (Math.NET Numerics, about 30x slower), because " + OpenBlasSpectralBackend.UnavailableReason);
            Console.WriteLine("  fix: " + BackendNotice.FixCommand(OpenBlasSpectralBackend.UnavailableReason ?? ""));
            return;
        }
        var choice = OpenBlasKernel.Choice;
        Console.WriteLine($"backend: OpenBLAS {OpenBlasKernel.Version} (native provider libMathNetNumericsOpenBLAS.so)");
        Console.WriteLine($"  build: {OpenBlasSpectralBackend.BuildConfig}");
        Console.WriteLine($"  kernel family: {OpenBlasKernel.Loaded} ({choice.SourceLabel})");
        Console.WriteLine($"    detected: {choice.Source switch
        {
            KernelSource.Environment => "not probed: a set OPENBLAS_CORETYPE is never second-guessed",
            _ when choice.Detected is { } d => $"OpenBLAS picks {d} by itself on this machine",
            _ => "not probed",
        }}");
        Console.WriteLine($"    chosen: {choice.Family ?? OpenBlasKernel.Loaded} ({choice.SourceLabel})");
        Console.WriteLine($"    why: {choice.Reason}");
        Console.WriteLine($"  threads per call: {OpenBlasSpectralBackend.Threads} available; analyze uses 1 per call and {Environment.ProcessorCount} layers at once");
        Console.WriteLine("  ESD route: Gram matrix (recursive dgemm + dsyevd) when lambda_min >= 1e-4 lambda_max, else dgesdd (values only)");
        Console.WriteLine($"  Math.NET provider: {(MathNet.Numerics.Control.TryUseNativeOpenBLAS() ? MathNet.Numerics.Control.Describe().Split('\n').FirstOrDefault(l => l.StartsWith("Linear Algebra Provider", StringComparison.Ordinal))?.Trim() : "native load failed")}");
        MathNet.Numerics.Control.UseManaged();
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
