using System.CommandLine;
using WeightWatcher.Core.Analysis;

namespace WeightWatcher.Cli.Commands;

/// <summary>
/// The command-line options that map onto <see cref="AnalysisOptions"/>, defined once and attached to
/// every command that enumerates or analyzes layers.
/// </summary>
internal sealed class AnalysisOptionSet
{
    public Option<string[]> Layers { get; } = new("--layers")
    {
        Description = "Layer filter: ids (negative to exclude), names ('-name' to exclude) or types (dense, conv2d ...); repeat or separate by commas",
        AllowMultipleArgumentsPerToken = true,
    };

    public Option<int> MinEvals { get; } = new("--min-evals") { Description = "Skip layers with fewer eigenvalues (0 disables)", DefaultValueFactory = _ => 10 };

    public Option<int> MaxEvals { get; } = new("--max-evals") { Description = "Skip layers with more eigenvalues (0 disables)", DefaultValueFactory = _ => 15000 };

    public Option<int> MaxN { get; } = new("--max-n") { Description = "Skip layers whose larger dimension exceeds this (0 disables)", DefaultValueFactory = _ => 50000 };

    public Option<bool> NoPool { get; } = new("--no-pool") { Description = "One row per Conv2D kernel slice instead of one pooled row per layer" };

    public Option<bool> NoConv2dNorm { get; } = new("--no-conv2d-norm") { Description = "Do not scale Conv2D matrices by sqrt(c/2)" };

    public Option<bool> MpFit { get; } = new("--mp-fit") { Description = "Fit the Marchenko-Pastur bulk (sigma_mp, num_spikes, mp_softrank ...)" };

    public Option<bool> DetX { get; } = new("--detx") { Description = "Compute the detX columns" };

    public Option<bool> Randomize { get; } = new("--randomize") { Description = "Compare with the ESD of the element-shuffled weights" };

    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of --randomize (same seed, same numbers)", DefaultValueFactory = _ => 42 };

    public Option<string?> FixFingers { get; } = Choice("--fix-fingers", "Tail finger correction", "clip_xmax", "xmin_peak");

    public Option<int?> XMax { get; } = new("--xmax") { Description = "Drop the top K eigenvalues before fitting (the reference's integer xmax; sign ignored)" };

    /// <summary>Adds the options that <see cref="Bind"/> reads; describe takes only the layer-selection ones.</summary>
    public void AddTo(Command command, bool analysisOptions)
    {
        command.AddOptions(Layers, MinEvals, MaxEvals, MaxN, NoPool, NoConv2dNorm);
        if (analysisOptions)
        {
            command.AddOptions(MpFit, DetX, Randomize, Seed, FixFingers, XMax);
        }
    }

    /// <summary>An option that takes one of <paramref name="choices"/>: anything else fails at parse time, and help lists them.</summary>
    public static Option<string?> Choice(string name, string description, params string[] choices)
    {
        var option = new Option<string?>(name) { Description = description };
        option.AcceptOnlyFromAmong(choices);
        return option;
    }

    /// <summary>Reads the options of a parse result.</summary>
    /// <exception cref="ArgumentException">An option value is invalid.</exception>
    public AnalysisOptions Bind(ParseResult p)
    {
        // The parser has already refused any other word (AcceptOnlyFromAmong).
        var fix = p.GetValue(FixFingers) switch
        {
            "clip_xmax" => FingerFix.ClipXmax,
            "xmin_peak" => FingerFix.XminPeak,
            _ => FingerFix.None,
        };
        var layers = (p.GetValue(Layers) ?? [])
            .SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToArray();
        return new AnalysisOptions
        {
            Layers = layers,
            MinEvals = p.GetValue(MinEvals),
            MaxEvals = p.GetValue(MaxEvals),
            MaxN = p.GetValue(MaxN),
            Pool = !p.GetValue(NoPool),
            Conv2dNorm = !p.GetValue(NoConv2dNorm),
            MpFit = p.GetValue(MpFit),
            DetX = p.GetValue(DetX),
            Randomize = p.GetValue(Randomize),
            Seed = p.GetValue(Seed),
            FixFingers = fix,
            XMax = p.GetValue(XMax),
        };
    }
}
