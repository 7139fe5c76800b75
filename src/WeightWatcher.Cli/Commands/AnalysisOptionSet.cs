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

    public Option<string?> FixFingers { get; } = new("--fix-fingers") { Description = "Tail finger correction: clip_xmax or xmin_peak" };

    public Option<int?> XMax { get; } = new("--xmax") { Description = "Drop the top K eigenvalues before fitting (the reference's integer xmax; sign ignored)" };

    /// <summary>Adds the options that <see cref="Bind"/> reads; describe takes only the layer-selection ones.</summary>
    public void AddTo(Command command, bool analysisOptions)
    {
        command.Options.Add(Layers);
        command.Options.Add(MinEvals);
        command.Options.Add(MaxEvals);
        command.Options.Add(MaxN);
        command.Options.Add(NoPool);
        command.Options.Add(NoConv2dNorm);
        if (!analysisOptions)
        {
            return;
        }
        command.Options.Add(MpFit);
        command.Options.Add(DetX);
        command.Options.Add(Randomize);
        command.Options.Add(Seed);
        command.Options.Add(FixFingers);
        command.Options.Add(XMax);
    }

    /// <summary>Reads the options of a parse result.</summary>
    /// <exception cref="ArgumentException">An option value is invalid.</exception>
    public AnalysisOptions Bind(ParseResult p)
    {
        var fix = p.GetValue(FixFingers) switch
        {
            null or "" => FingerFix.None,
            "clip_xmax" => FingerFix.ClipXmax,
            "xmin_peak" => FingerFix.XminPeak,
            var other => throw new ArgumentException($"--fix-fingers must be clip_xmax or xmin_peak, not '{other}'"),
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
