namespace WeightWatcher.Cli.Bench;

/// <summary>One measured figure of <c>ww bench</c>: a value with its unit, and how it was obtained.</summary>
/// <param name="Section">Group (gpt2, conv, fit, spectra, machine, policy).</param>
/// <param name="Name">What was measured.</param>
/// <param name="Value">The figure.</param>
/// <param name="Unit">s, MB, GFLOP/s, x (a ratio) ...</param>
/// <param name="Note">Baseline, target or method.</param>
internal sealed record BenchFigure(string Section, string Name, double Value, string Unit, string Note = "");

/// <summary>Everything <c>ww bench</c> measured in one run, plus the machine it ran on.</summary>
internal sealed class BenchReport
{
    public string Machine { get; init; } = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";

    public string Backend { get; set; } = "";

    /// <summary>The OpenBLAS kernel family that ran, and who chose it (named with every speed figure).</summary>
    public string Kernel { get; set; } = "";

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public List<BenchFigure> Figures { get; } = [];

    public BenchFigure Add(string section, string name, double value, string unit, string note = "")
    {
        var f = new BenchFigure(section, name, value, unit, note);
        Figures.Add(f);
        return f;
    }

    public double Get(string section, string name) => Figures.Single(f => f.Section == section && f.Name == name).Value;
}
