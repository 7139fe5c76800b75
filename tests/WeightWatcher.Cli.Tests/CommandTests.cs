using System.Globalization;
using System.Text.Json;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Synthetic;

namespace WeightWatcher.Cli.Tests;

/// <summary>The <c>ww</c> command end to end, in a separate process.</summary>
public sealed class CommandTests
{
    private static string[] CsvLines(string path) => File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();

    [Fact]
    public void Analyze_without_a_model_runs_on_the_embedded_reference_model()
    {
        var r = WwProcess.Run("analyze");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("embedded reference model", r.Stdout);
        foreach (var name in new[] { "fc_a", "fc_b", "conv_c", "sq_d", "conv_e" })
        {
            Assert.Contains(name, r.Stdout);
        }
        // The golden summary alpha (3.864229749) appears in the summary block.
        Assert.Contains("3.86422974", r.Stdout);
    }

    [Fact]
    public void Analyze_csv_has_exactly_the_reference_columns_and_values()
    {
        using var dir = new TempDir();
        string model = dir.File("model.npz");
        ReferenceModel.WriteNpz(model);
        string csv = dir.File("out.csv");
        string json = dir.File("out.json");
        var r = WwProcess.Run("analyze", model, "--csv", csv, "--json", json, "--mp-fit");
        Assert.Equal(0, r.ExitCode);
        var lines = CsvLines(csv);
        var header = lines[0].Split(',');
        Assert.Equal(LayerTable.AnalyzeColumns(new AnalysisOptions { MpFit = true }), header);
        Assert.Equal(6, lines.Length);
        var first = header.Zip(lines[1].Split(',')).ToDictionary(p => p.First, p => p.Second);
        Assert.Equal("1", first["layer_id"]);
        Assert.Equal("fc_a", first["name"]);
        Assert.Equal(6.622158319, double.Parse(first["alpha"], CultureInfo.InvariantCulture), 1e-8);
        Assert.Equal("True", first["has_esd"]);
        Assert.Equal("under-trained", first["warning"]);
        Assert.Equal("success", first["status"]);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var layers = doc.RootElement.GetProperty("layers");
        Assert.Equal(5, layers.GetArrayLength());
        Assert.Equal("conv_e", layers[4].GetProperty("name").GetString());
        Assert.Equal(3.864229749, doc.RootElement.GetProperty("summary").GetProperty("alpha").GetDouble(), 1e-8);
        Assert.Equal(0, doc.RootElement.GetProperty("failures").GetArrayLength());
    }

    [Fact]
    public void Analyze_a_safetensors_model_lists_keys_lexically_like_the_reference()
    {
        using var dir = new TempDir();
        string model = dir.File("model.safetensors");
        ReferenceModel.WriteSafetensors(model);
        string csv = dir.File("out.csv");
        var r = WwProcess.Run("analyze", model, "--csv", csv, "--layers", "dense");
        Assert.Equal(0, r.ExitCode);
        var lines = CsvLines(csv);
        var names = lines.Skip(1).Select(l => l.Split(',')[1]).ToArray();
        Assert.Equal(["fc_a", "fc_b", "sq_d"], names);
        Assert.Equal(["3", "4", "5"], lines.Skip(1).Select(l => l.Split(',')[0]));
    }

    [Fact]
    public void Describe_writes_the_reference_describe_columns()
    {
        using var dir = new TempDir();
        string csv = dir.File("describe.csv");
        var r = WwProcess.Run("describe", "--csv", csv, "--no-pool");
        Assert.Equal(0, r.ExitCode);
        var lines = CsvLines(csv);
        Assert.Equal("layer_id,name,M,N,Q,layer_type,longname,num_evals,rf,slice_id", lines[0]);
        // 3 dense layers + 9 slices of conv_c + 4 slices of conv_e
        Assert.Equal(1 + 3 + 9 + 4, lines.Length);
    }

    [Fact]
    public void Esd_prints_a_layers_eigenvalues_ascending_and_its_fit()
    {
        var r = WwProcess.Run("esd", "--layer", "fc_a");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("alpha=6.62215831", r.Stdout);
        var values = r.Stdout.Split('\n').SkipWhile(l => !l.StartsWith("eigenvalues", StringComparison.Ordinal)).Skip(1)
            .Where(l => l.Length > 0).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(96, values.Length);
        Assert.Equal(values.OrderBy(v => v), values);
        Assert.Equal(0.363824156, values[^1], 1e-8);

        using var dir = new TempDir();
        string csv = dir.File("esd.csv");
        Assert.Equal(0, WwProcess.Run("esd", "--layer", "3", "--csv", csv).ExitCode);
        Assert.Equal(1 + 216, CsvLines(csv).Length);
    }

    [Fact]
    public void A_missing_model_is_a_one_line_error_with_exit_code_2()
    {
        var r = WwProcess.Run("analyze", "/no/such/model.safetensors");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("/no/such/model.safetensors", line);
        Assert.Contains("no such file", line);
    }

    [Fact]
    public void A_corrupt_header_names_the_file_and_the_reason()
    {
        using var dir = new TempDir();
        string model = dir.File("bad.safetensors");
        var header = "{\"w.weight\": {\"dtype\": \"F32\", \"shape\": [10, 10], \"data_offsets\": [0, 400]"u8.ToArray(); // unterminated JSON
        File.WriteAllBytes(model, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[400]]);
        var r = WwProcess.Run("analyze", model);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(model, r.Stderr);
        Assert.Contains("not valid JSON", r.Stderr);
    }

    [Fact]
    public void Nan_weights_fail_only_their_layer_with_exit_code_3()
    {
        using var dir = new TempDir();
        string model = dir.File("nan.safetensors");
        var good = ReferenceModel.Generate(1, 40 * 30);
        var bad = ReferenceModel.Generate(2, 40 * 30);
        bad[17] = float.NaN;
        SafetensorsWriter.Write(model, [new NamedTensor("a.weight", [40, 30], good), new NamedTensor("b.weight", [40, 30], bad)]);
        string csv = dir.File("out.csv");
        var r = WwProcess.Run("analyze", model, "--csv", csv);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("tensor 'b.weight'", r.Stderr);
        Assert.Contains("NaN", r.Stderr);
        var lines = CsvLines(csv);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("1,a,", lines[1]);
    }

    [Fact]
    public void Invalid_options_are_rejected_with_exit_code_2()
    {
        var r = WwProcess.Run("analyze", "--fix-fingers", "sideways");
        Assert.Equal(2, r.ExitCode);
        // Refused by the parser (AcceptOnlyFromAmong), naming the choices, with a pointer to the help.
        Assert.Contains("error: Argument 'sideways' not recognized. Must be one of: 'clip_xmax' 'xmin_peak'", r.Stderr);
        Assert.Contains("see: ww analyze --help", r.Stderr);
        r = WwProcess.Run("analyze", "--min-evals", "100", "--max-evals", "50");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("min_evals", r.Stderr);
    }

    [Fact]
    public void Cluster_durations_are_checked_before_anything_starts()
    {
        var r = WwProcess.Run("node", "--stable-after", "soon");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--stable-after must be a positive duration", r.Stderr);
        using var zoo = new TempDir();
        r = WwProcess.Run("zoo", "run", "--store", zoo.Path, "--stable-after", "-5s");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--stable-after", r.Stderr);
    }

    [Fact]
    public void Bench_writes_its_report_with_every_figure_of_the_sections_run()
    {
        Backends.RequireNative(); // ww bench measures the native provider only
        // The cheap sections only (the GPT-2 one writes a 500 MB model); conv runs `ww analyze` in a child
        // process, as the GPT-2 section does, so the peak-RSS and GC-pause plumbing is exercised too.
        using var dir = new TempDir();
        string report = dir.File("bench.json");
        var r = WwProcess.Run(TimeSpan.FromMinutes(5), null, "bench", "--only", "machine,spectra,conv", "--work", dir.Path, "--out", report);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var figures = doc.RootElement.GetProperty("figures").EnumerateArray()
            .ToDictionary(f => f.GetProperty("section").GetString() + "." + f.GetProperty("name").GetString(), f => f.GetProperty("value").GetDouble());
        foreach (var name in new[] { "machine.dgemm_gflops", "spectra.ours", "spectra.bare_gram", "spectra.bare_dgesdd", "spectra.managed", "conv.wall", "conv.peak_rss" })
        {
            Assert.True(figures.TryGetValue(name, out double value) && value > 0 && double.IsFinite(value), $"{name}: {(figures.ContainsKey(name) ? figures[name] : "missing")}");
        }
        Assert.True(figures["conv.layers_analyzed"] == 18, $"conv layers: {figures["conv.layers_analyzed"]}");
        Assert.DoesNotContain(figures.Keys, k => k.StartsWith("gpt2.", StringComparison.Ordinal) || k.StartsWith("fit.", StringComparison.Ordinal));
        Assert.Contains("dgemm_gflops", r.Stdout); // the table
    }

    [Fact]
    public void Bench_zoo_section_reports_a_first_run_the_no_op_reruns_and_where_their_time_went()
    {
        Backends.RequireNative(); // ww bench measures the native provider only
        // The demo zoo goes to a temporary cache folder; the bench keeps its results in its work folder.
        using var dir = new TempDir();
        string report = dir.File("bench.json");
        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = dir.File("cache") };
        var r = WwProcess.Run(TimeSpan.FromMinutes(10), env, "bench", "--only", "zoo", "--work", dir.File("work"), "--out", report);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var figures = doc.RootElement.GetProperty("figures").EnumerateArray()
            .Where(f => f.GetProperty("section").GetString() == "zoo")
            .ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("value").GetDouble());
        foreach (var run in new[] { "first", "noop" })
        {
            foreach (var part in new[] { "start", "plan", "analysis", "reports", "leave", "other" })
            {
                Assert.True(figures.TryGetValue($"{run}_{part}", out double v) && double.IsFinite(v), $"{run}_{part} missing or not finite");
            }
        }
        foreach (var name in new[] { "first_run", "noop_rerun", "noop_rerun_min", "noop_start_plus_leave", "process_baseline", "noop_over_baseline" })
        {
            Assert.True(figures.TryGetValue(name, out double v) && v > 0 && double.IsFinite(v), $"{name}: {(figures.TryGetValue(name, out double w) ? w : "missing")}");
        }
        Assert.Equal(figures["noop_start"] + figures["noop_leave"], figures["noop_start_plus_leave"], 1e-9);
        // The first run analyzed the layers that the re-runs found cached.
        Assert.True(figures["first_analysis"] > figures["noop_analysis"], $"first {figures["first_analysis"]} s, no-op {figures["noop_analysis"]} s");
        Assert.Contains("noop_rerun", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("kernel ", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_check_compares_the_native_backend_with_the_managed_one()
    {
        Backends.RequireNative(); // without it ww says "check: skipped": a skip, counted as one
        var r = WwProcess.Run("info", "--check");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Matches(@"check: .* vs managed on the embedded reference model: 5 rows, \d+ values, max relative difference .*: OK", r.Stdout);
    }
}
