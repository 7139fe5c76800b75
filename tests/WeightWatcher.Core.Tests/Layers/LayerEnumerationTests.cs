using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Layers;
using WeightWatcher.Core.Tests.Support;

namespace WeightWatcher.Core.Tests.Layers;

public sealed class LayerEnumerationTests
{
    private static InMemoryModelReader Model() => new InMemoryModelReader()
        .Add("embed.weight", [300, 40], new double[12000])
        .Add("norm.weight", [40], new double[40])
        .Add("norm.bias", [40], new double[40])
        .Add("fc1.weight", [64, 40], new double[2560])
        .Add("conv.weight", [32, 16, 3, 3], new double[4608])
        .Add("head.weight", [2, 40], new double[80])
        .Add("tiny.weight", [8, 40], new double[320]);

    [Fact]
    public void Ids_count_every_weight_key_and_types_follow_rank()
    {
        using var model = Model();
        var all = LayerEnumerator.EnumerateAll(model.Tensors);
        Assert.Equal(["embed", "norm", "fc1", "conv", "head", "tiny"], all.Select(l => l.Name));
        Assert.Equal([1, 2, 3, 4, 5, 6], all.Select(l => l.LayerId));
        Assert.Equal(
            [LayerType.Dense, LayerType.Unknown, LayerType.Dense, LayerType.Conv2D, LayerType.Dense, LayerType.Dense],
            all.Select(l => l.Type));
        var conv = all[3];
        Assert.Equal((32, 16, 9), (conv.N, conv.M, conv.Rf));
        Assert.Equal(144, conv.NumEvals);
    }

    [Fact]
    public void First_dimension_below_two_and_integer_tensors_are_unknown()
    {
        using var model = new InMemoryModelReader()
            .Add("row.weight", [1, 40], new double[40])
            .Add("q.weight", [40, 40], new double[1600], Tensors.DType.I8)
            .Add("w3.weight", [4, 5, 6], new double[120]);
        Assert.All(LayerEnumerator.EnumerateAll(model.Tensors), l => Assert.Equal(LayerType.Unknown, l.Type));
    }

    [Fact]
    public void Min_evals_and_max_n_filter_as_the_reference()
    {
        using var model = Model();
        var names = LayerEnumerator.EnumerateSupported(model.Tensors, new AnalysisOptions()).Select(l => l.Name);
        Assert.Equal(["embed", "fc1", "conv"], names);
        names = LayerEnumerator.EnumerateSupported(model.Tensors, new AnalysisOptions { MaxN = 100, MinEvals = 5 }).Select(l => l.Name);
        Assert.Equal(["fc1", "conv", "tiny"], names);
        names = LayerEnumerator.EnumerateSupported(model.Tensors, new AnalysisOptions { MaxEvals = 100 }).Select(l => l.Name);
        Assert.Equal(["embed", "fc1"], names);
    }

    [Theory]
    [InlineData("dense", "embed,fc1")]
    [InlineData("conv2d", "conv")]
    [InlineData("3", "fc1")]
    [InlineData("-3", "embed,conv")]
    [InlineData("fc1,conv", "fc1,conv")]
    [InlineData("-fc1", "embed,conv")]
    [InlineData("conv2d,3", "fc1")] // ids override the type decision
    [InlineData("dense,-1", "fc1,conv")] // a negative id keeps every other id, overriding the type filter
    [InlineData("3,embed", "embed")] // names override ids
    [InlineData("fc1,-conv", "embed,fc1,conv")] // mixed name signs: no name filter at all
    public void Layers_filter_applies_types_then_ids_then_names_last_wins(string filter, string expected)
    {
        using var model = Model();
        var options = new AnalysisOptions { Layers = filter.Split(',') };
        var names = LayerEnumerator.EnumerateSupported(model.Tensors, options).Select(l => l.Name);
        Assert.Equal(expected.Split(','), names);
    }

    [Theory]
    // Expected (out, in, kh, kw), as state dicts and ONNX store kernels; detected the same way.
    [InlineData(20, 30, 2, 2, 20, 30, 4, 80)] // even kernel count, out < in: the reference swaps back (Q < 1)
    [InlineData(30, 20, 2, 2, 30, 20, 4, 80)]
    [InlineData(20, 30, 3, 3, 30, 20, 9, 180)] // odd kernel count: N = max, M = min
    [InlineData(48, 24, 3, 3, 48, 24, 9, 216)]
    [InlineData(16, 64, 1, 1, 64, 16, 1, 16)]
    // Detected kernel-first although a state dict is expected: the flip path, N and M as stored.
    [InlineData(10, 4, 1, 60, 10, 4, 60, 240)]
    [InlineData(4, 10, 1, 60, 4, 10, 60, 240)]
    [InlineData(5, 5, 3, 8, 5, 5, 24, 120)]
    [InlineData(6, 1, 5, 5, 6, 1, 25, 25)] // PyTorch LeNet's first conv
    [InlineData(3, 3, 16, 8, 3, 3, 128, 384)] // a Keras kernel in a state dict is sliced as if it were (out, in, kh, kw)
    public void State_dict_conv_dimensions_follow_the_reference(int d0, int d1, int d2, int d3, int n, int m, int rf, int evals)
    {
        var (actualN, actualM, actualRf, perSlice) = LayerEnumerator.ConvDimensions(d0, d1, d2, d3, ConvLayout.Last);
        Assert.Equal((n, m, rf, evals), (actualN, actualM, actualRf, perSlice * actualRf));
    }

    [Theory]
    // Expected (kh, kw, in, out), as Keras and TF.js layers models store kernels; detected the same way.
    [InlineData(3, 3, 16, 8, 16, 8, 9, 72)] // in > out, 9 slices transposed: N = max
    [InlineData(3, 3, 16, 32, 32, 16, 9, 144)]
    [InlineData(1, 1, 40, 128, 128, 40, 1, 40)] // a 1x1 Conv2D: rf = 1, analyzed
    [InlineData(10, 1, 128, 1, 1, 128, 10, 10)] // depthwise, even tap count: N and M swapped back (quirk Q2)
    [InlineData(15, 1, 128, 1, 128, 1, 15, 15)]
    // Detected (out, in, kh, kw) although kernel-first is expected: the flip path, N = in, M = out.
    [InlineData(3, 3, 4, 1, 4, 1, 9, 9)] // a depthwise (3, 3, C, 1) kernel with few channels
    [InlineData(5, 5, 2, 6, 2, 6, 25, 50)]
    public void Keras_conv_dimensions_follow_the_reference(int d0, int d1, int d2, int d3, int n, int m, int rf, int evals)
    {
        var (actualN, actualM, actualRf, perSlice) = LayerEnumerator.ConvDimensions(d0, d1, d2, d3, ConvLayout.First);
        Assert.Equal((n, m, rf, evals), (actualN, actualM, actualRf, perSlice * actualRf));
    }

    [Fact]
    public void Pool_false_expands_conv_layers_into_slices_with_ids_in_i_major_order()
    {
        using var model = Model();
        var rows = LayerEnumerator.EnumerateSupported(model.Tensors, new AnalysisOptions { Pool = false });
        var conv = rows.Where(r => r.Name == "conv").ToList();
        Assert.Equal(Enumerable.Range(0, 9), conv.Select(r => r.SliceId!.Value));
        Assert.All(conv, r => Assert.Equal(16, r.NumEvals));
        Assert.Equal("4:8", conv[^1].DisplayId);
    }

    [Fact]
    public void Invalid_option_combinations_are_rejected()
    {
        Assert.NotEmpty(new AnalysisOptions { MinEvals = 100, MaxEvals = 50 }.Validate());
        Assert.NotEmpty(new AnalysisOptions { FixFingers = FingerFix.ClipXmax, XMax = -2 }.Validate());
        Assert.NotEmpty(new AnalysisOptions { Layers = ["3", "-4"] }.Validate());
        Assert.NotEmpty(new AnalysisOptions { XMax = 0 }.Validate());
        Assert.Empty(new AnalysisOptions().Validate());
    }

    [Fact]
    public void Default_column_order_is_the_references()
    {
        string expected = "layer_id, name, D, M, N, Q, alpha, alpha_weighted, entropy, has_esd, lambda_max, layer_type, log_alpha_norm, log_norm, log_spectral_norm, longname, matrix_rank, norm, num_evals, num_pl_spikes, rank_loss, rf, sigma, spectral_norm, stable_rank, status, sv_max, sv_min, warning, weak_rank_loss, xmax, xmin";
        Assert.Equal(expected, string.Join(", ", LayerTable.AnalyzeColumns(new AnalysisOptions())));
        var all = LayerTable.AnalyzeColumns(new AnalysisOptions { Pool = false, MpFit = true, DetX = true, Randomize = true, FixFingers = FingerFix.ClipXmax });
        Assert.Equal(32 + 1 + 6 + 3 + 10 + 2, all.Count);
        Assert.Equal(["layer_id", "name", "D", "M", "N", "Q", "W_scale", "alpha"], all.Take(8));
        Assert.Equal(["layer_id", "name", "M", "N", "Q", "layer_type", "longname", "num_evals", "rf"], LayerTable.DescribeColumns(new AnalysisOptions()));
    }
}
