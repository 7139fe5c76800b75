namespace WeightWatcher.Core.Analysis;

/// <summary>How to treat the spectrum's tail fingers (the reference's <c>fix_fingers</c>).</summary>
public enum FingerFix
{
    /// <summary>No correction (default).</summary>
    None,
    /// <summary><c>clip_xmax</c>: refit with the top eigenvalues removed while alpha drops by more than the threshold.</summary>
    ClipXmax,
    /// <summary><c>xmin_peak</c>: restrict xmin to at most 1.5x the peak of the log-ESD histogram.</summary>
    XminPeak,
}

/// <summary>
/// The analysis options, mirroring the reference tool's <c>analyze()</c> keyword arguments and defaults
/// (WeightWatcher 0.7.5.5). Only options whose effect this engine implements are present.
/// </summary>
public sealed record AnalysisOptions
{
    /// <summary>The <c>layers</c> filter: type names, integer ids (negative to exclude) or layer names (prefix '-' to exclude).</summary>
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <summary>Skip layers with fewer eigenvalues than this (0 disables).</summary>
    public int MinEvals { get; init; } = 10;

    /// <summary>Skip layers with more eigenvalues than this (0 disables).</summary>
    public int MaxEvals { get; init; } = 15000;

    /// <summary>Skip layers whose larger dimension N exceeds this (0 disables).</summary>
    public int MaxN { get; init; } = 50000;

    /// <summary>Pool the kh*kw conv slices into one ESD per layer (true) or one row per slice (false).</summary>
    public bool Pool { get; init; } = true;

    /// <summary>Scale Conv2D matrices by sqrt(c/2) as the reference does.</summary>
    public bool Conv2dNorm { get; init; } = true;

    /// <summary>Fit the Marchenko-Pastur bulk.</summary>
    public bool MpFit { get; init; }

    /// <summary>Compute the detX columns.</summary>
    public bool DetX { get; init; }

    /// <summary>Compare with the ESD of the element-shuffled matrix.</summary>
    public bool Randomize { get; init; }

    /// <summary>Seed for <see cref="Randomize"/>; the same seed gives the same random columns.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Finger correction of the power-law fit.</summary>
    public FingerFix FixFingers { get; init; } = FingerFix.None;

    /// <summary>Integer <c>xmax</c>: drop the top |k| eigenvalues before fitting; null when not set.</summary>
    public int? XMax { get; init; }

    /// <summary>Upper bound for xmin with <see cref="FingerFix.XminPeak"/> (default 1.5 x the histogram peak).</summary>
    public double? XminMax { get; init; }

    /// <summary>Largest number of fingers <see cref="FingerFix.ClipXmax"/> may remove.</summary>
    public int MaxFingers { get; init; } = 10;

    /// <summary>Alpha drop that counts as a finger for <see cref="FingerFix.ClipXmax"/>.</summary>
    public double FingerThresh { get; init; } = 1.0;

    /// <summary>Threshold for <c>weak_rank_loss</c>.</summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>Checks the combinations the reference rejects; returns the problems found (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MinEvals != 0 && MaxEvals != 0 && MinEvals >= MaxEvals)
        {
            errors.Add($"min_evals ({MinEvals}) must be less than max_evals ({MaxEvals})");
        }
        if (MaxEvals < -1)
        {
            errors.Add($"max_evals ({MaxEvals}) must be at least -1");
        }
        if (MaxN != 0 && (MaxN < MaxEvals || MaxN < MinEvals))
        {
            errors.Add($"max_N ({MaxN}) must be at least max_evals and min_evals");
        }
        if (XMax == 0)
        {
            errors.Add("xmax must be a nonzero integer");
        }
        if (FixFingers != FingerFix.None && XMax is not null)
        {
            errors.Add("fix_fingers cannot be combined with an integer xmax");
        }
        if (MaxFingers < 1)
        {
            errors.Add("max_fingers must be at least 1");
        }
        var ids = Layers.Select(l => int.TryParse(l, out int v) ? (int?)v : null).Where(v => v is not null).Select(v => v!.Value).ToList();
        if (ids.Any(i => i > 0) && ids.Any(i => i < 0))
        {
            errors.Add("layer ids must not mix positive and negative values");
        }
        return errors;
    }
}
