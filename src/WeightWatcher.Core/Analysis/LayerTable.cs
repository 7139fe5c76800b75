using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Metrics;

namespace WeightWatcher.Core.Analysis;

/// <summary>
/// The reference's output contract (its details DataFrame): column names, and their order —
/// <c>layer_id</c>, <c>name</c>, then every other column in plain ASCII order (quirk Q16) — and each
/// row's values as int, double, string, bool or null (a missing value).
/// </summary>
public static class LayerTable
{
    private static readonly string[] DefaultColumns =
    [
        "D", "M", "N", "Q", "alpha", "alpha_weighted", "entropy", "has_esd", "lambda_max", "layer_type",
        "log_alpha_norm", "log_norm", "log_spectral_norm", "longname", "matrix_rank", "norm", "num_evals",
        "num_pl_spikes", "rank_loss", "rf", "sigma", "spectral_norm", "stable_rank", "status", "sv_max",
        "sv_min", "warning", "weak_rank_loss", "xmax", "xmin",
    ];

    private static readonly string[] MpColumns = ["W_scale", "bulk_max", "bulk_min", "mp_softrank", "num_spikes", "sigma_mp"];

    private static readonly string[] RandomColumns =
    [
        "max_rand_eval", "rand_W_scale", "rand_bulk_max", "rand_bulk_min", "rand_distance", "rand_mp_softrank",
        "rand_num_spikes", "rand_sigma_mp", "ww_maxdist", "ww_softrank",
    ];

    private static readonly string[] DetXColumns = ["detX_num", "detX_val", "detX_val_unrescaled"];

    private static readonly string[] FingerColumns = ["num_fingers", "raw_alpha"];

    /// <summary>The analyze columns for <paramref name="options"/>, in the reference's order.</summary>
    public static IReadOnlyList<string> AnalyzeColumns(AnalysisOptions options)
    {
        var rest = new List<string>(DefaultColumns);
        if (!options.Pool)
        {
            rest.Add("slice_id");
        }
        if (options.MpFit)
        {
            rest.AddRange(MpColumns);
        }
        if (options.Randomize)
        {
            rest.AddRange(RandomColumns);
        }
        if (options.DetX)
        {
            rest.AddRange(DetXColumns);
        }
        if (options.FixFingers == FingerFix.ClipXmax)
        {
            rest.AddRange(FingerColumns);
        }
        return Ordered(rest);
    }

    /// <summary>The describe columns for <paramref name="options"/>, in the reference's order.</summary>
    public static IReadOnlyList<string> DescribeColumns(AnalysisOptions options)
    {
        var rest = new List<string> { "M", "N", "Q", "layer_type", "longname", "num_evals", "rf" };
        if (!options.Pool)
        {
            rest.Add("slice_id");
        }
        return Ordered(rest);
    }

    /// <summary><c>layer_id</c>, <c>name</c>, then the rest sorted by ordinal (ASCII) comparison.</summary>
    public static IReadOnlyList<string> Ordered(IEnumerable<string> columns)
    {
        var rest = columns.Where(c => c is not ("layer_id" or "name")).Distinct().ToList();
        rest.Sort(StringComparer.Ordinal);
        return ["layer_id", "name", .. rest];
    }

    /// <summary>The value of <paramref name="column"/> in an analyzed row.</summary>
    public static object? Value(LayerResult r, string column)
    {
        var fit = r.Tail.Fit;
        return column switch
        {
            "layer_id" => r.Layer.LayerId,
            "name" => r.Layer.Name,
            "slice_id" => r.Layer.SliceId ?? 0,
            "D" => fit.D,
            "alpha" => fit.Alpha,
            "sigma" => fit.Sigma,
            "xmin" => fit.Xmin,
            "xmax" => fit.Xmax,
            "num_pl_spikes" => r.Tail.NumPlSpikes,
            "status" => fit.Status,
            "warning" => r.Warning,
            "alpha_weighted" => r.AlphaWeighted,
            "log_alpha_norm" => r.LogAlphaNorm,
            "has_esd" => true,
            "num_evals" => r.Spectrum.Evals.Length,
            "lambda_max" => r.Spectrum.LambdaMax,
            "sv_max" => r.Spectrum.SvMax,
            "sv_min" => r.Spectrum.SvMin,
            "rank_loss" => r.Spectrum.RankLoss,
            "norm" => r.Norms.Norm,
            "log_norm" => r.Norms.LogNorm,
            "spectral_norm" => r.Norms.SpectralNorm,
            "log_spectral_norm" => r.Norms.LogSpectralNorm,
            "stable_rank" => r.Norms.StableRank,
            "matrix_rank" => r.Norms.MatrixRank,
            "entropy" => r.Norms.Entropy,
            "weak_rank_loss" => r.Norms.WeakRankLoss,
            "W_scale" => r.Mp?.WScale,
            "bulk_max" => r.Mp?.BulkMax,
            "bulk_min" => r.Mp?.BulkMin,
            "mp_softrank" => r.Mp?.MpSoftRank,
            "num_spikes" => r.Mp?.NumSpikes,
            "sigma_mp" => r.Mp?.SigmaMp,
            "max_rand_eval" => r.Random?.MaxRandEval,
            "rand_distance" => r.Random?.RandDistance,
            "ww_softrank" => r.Random?.WwSoftrank,
            "ww_maxdist" => r.Random?.WwMaxdist,
            "rand_W_scale" => r.Random?.RandomMp.WScale,
            "rand_bulk_max" => r.Random?.RandomMp.BulkMax,
            "rand_bulk_min" => r.Random?.RandomMp.BulkMin,
            "rand_mp_softrank" => r.Random?.RandomMp.MpSoftRank,
            "rand_num_spikes" => r.Random?.RandomMp.NumSpikes,
            "rand_sigma_mp" => r.Random?.RandomMp.SigmaMp,
            "detX_num" => r.DetX?.Num,
            "detX_val" => r.DetX?.Value,
            "detX_val_unrescaled" => r.DetX?.RescaledValue,
            "num_fingers" => r.Tail.NumFingers,
            "raw_alpha" => r.Tail.RawAlpha,
            _ => DescribeValue(r.Layer, column),
        };
    }

    /// <summary>The value of a describe column (also the shape columns of analyze).</summary>
    public static object? DescribeValue(LayerInfo l, string column) => column switch
    {
        "layer_id" => l.LayerId,
        "name" => l.Name,
        "longname" => l.LongName,
        "layer_type" => LayerTypes.Name(l.Type),
        "N" => l.N,
        "M" => l.M,
        "Q" => l.Q,
        "rf" => l.Rf,
        "num_evals" => l.NumEvals,
        "slice_id" => l.SliceId ?? 0,
        _ => throw new ArgumentException($"unknown column '{column}'", nameof(column)),
    };
}
