using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using WeightWatcher.Cli.Commands;
using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Cli.Bench;

/// <summary><c>ww bench</c>: the performance suite, reported as ratios between runs on this machine.</summary>
internal static class BenchCommand
{
    private static readonly string[] AllSections = ["machine", "spectra", "fit", "gpt2", "policy", "conv", "zoo"];

    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "JSON report path", DefaultValueFactory = _ => "ww-bench.json" };
        var work = new Option<string?>("--work") { Description = "Folder for generated models (kept between runs; default: the system temp folder)" };
        var only = new Option<string[]>("--only") { Description = "Sections to run (repeat or separate by commas)", HelpName = string.Join('|', AllSections), AllowMultipleArgumentsPerToken = true };
        // Not AcceptOnlyFromAmong: a token may list several sections with commas. Checked at parse time all the same.
        only.Validators.Add(r =>
        {
            foreach (string section in r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries)).Where(s => !AllSections.Contains(s)))
            {
                r.AddError($"--only: '{section}' is not a section ({string.Join(", ", AllSections)})");
            }
        });
        var command = new Command("bench", "Measure speed and memory: GPT-2-small and conv models end to end, the zoo job (first run, no-op re-run, cluster start and leave), the fit, per-matrix spectra, DGEMM") { output, work, only };
        command.SetAction(p => CliErrors.Run(() => Execute(p.GetValue(output)!, p.GetValue(work), p.GetValue(only))));
        return command;
    }

    private static int Execute(string output, string? work, string[]? only)
    {
        if (!OpenBlasSpectralBackend.IsAvailable)
        {
            throw new ArgumentException("ww bench needs the native OpenBLAS provider: " + OpenBlasSpectralBackend.UnavailableReason);
        }
        var sections = only is { Length: > 0 } ? only.SelectMany(s => s.Split(',')).ToHashSet() : AllSections.ToHashSet();
        string dir = work ?? Path.Combine(Path.GetTempPath(), "ww-bench");
        Directory.CreateDirectory(dir);
        var report = new BenchReport
        {
            Backend = new OpenBlasSpectralBackend().Name,
            Kernel = $"kernel {Core.Spectral.Kernels.OpenBlasKernel.Loaded} ({Core.Spectral.Kernels.OpenBlasKernel.Choice.SourceLabel})",
        };
        var suite = new BenchSuite(dir, report, s => Console.Error.WriteLine(s));
        suite.MachineDgemm();
        if (sections.Contains("spectra"))
        {
            suite.Spectra();
        }
        if (sections.Contains("fit"))
        {
            suite.Fits();
        }
        if (sections.Contains("gpt2"))
        {
            suite.Gpt2();
        }
        if (sections.Contains("policy"))
        {
            suite.Policy();
        }
        if (sections.Contains("conv"))
        {
            suite.Conv();
        }
        if (sections.Contains("zoo"))
        {
            new ZooBench(dir, report, s => Console.Error.WriteLine(s)).Run();
        }
        File.WriteAllText(output, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        var rows = report.Figures.Select(f => new object?[] { f.Section, f.Name, Format(f.Value), f.Unit, f.Note }).ToList();
        Console.Write(ConsoleTable.Render(["section", "figure", "value", "unit", "note"], rows));
        Console.WriteLine($"machine: {report.Machine}; backend: {report.Backend}; {report.Kernel}, OpenBLAS {Core.Spectral.Kernels.OpenBlasKernel.Version}");
        Console.WriteLine($"report: {Path.GetFullPath(output)}");
        return CliErrors.Success;
    }

    private static string Format(double v) => Math.Abs(v) >= 100 ? v.ToString("F0", CultureInfo.InvariantCulture) : v.ToString("G4", CultureInfo.InvariantCulture);
}
