
namespace WeightWatcher.Cli.Tests;

/// <summary>
/// The one error path of <c>ww</c>: parse errors, bad WW_* fallbacks and a command's own failures all leave
/// as <c>error:</c> lines with the exit codes of the README's table; choices and fallbacks show in help.
/// </summary>
public sealed class ErrorPathTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void An_unknown_option_exits_2_with_a_pointer_to_the_command_help()
    {
        var r = WwProcess.Run("info", "--no-such-option");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error: Unrecognized command or argument '--no-such-option'", r.Stderr);
        Assert.Equal("see: ww info --help", Lines(r.Stderr)[^1].Trim());
    }

    [Fact]
    public void A_value_outside_its_choices_fails_at_parse_time()
    {
        var r = WwProcess.Run("analyze", "--precision", "half");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'double' 'single'", r.Stderr);
        Assert.DoesNotContain("Analyzing", r.Stderr); // nothing ran

        r = WwProcess.Run("zoo", "run", "--akka-log-level", "loud");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--akka-log-level must be DEBUG, INFO, WARNING, ERROR or OFF, not 'loud'", r.Stderr);
        Assert.Contains("see: ww zoo run --help", r.Stderr);
    }

    [Theory]
    [InlineData("WW_PORT", "seventy", "WW_PORT must be an integer of at least 1, not 'seventy'")]
    [InlineData("WW_STABLE_AFTER", "soon", "WW_STABLE_AFTER must be a positive duration")]
    [InlineData("WW_AKKA_LOG_LEVEL", "chatty", "WW_AKKA_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or OFF, not 'chatty'")]
    [InlineData("WW_HTTP_PORT", "99999", "WW_HTTP_PORT must be a port number (1 to 65535), not '99999'")]
    public void A_bad_environment_fallback_fails_at_parse_time_naming_the_variable(string variable, string value, string message)
    {
        var r = WwProcess.Run(Timeout, new Dictionary<string, string> { [variable] = value }, "node");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error: " + message, r.Stderr);
        Assert.Equal("see: ww node --help", Lines(r.Stderr)[^1].Trim());
    }

    [Fact]
    public void An_option_given_wins_over_a_bad_variable()
    {
        // The variable is only a fallback: it is not read when the option is given, so it cannot fail.
        var r = WwProcess.Run(Timeout, new Dictionary<string, string> { ["WW_STABLE_AFTER"] = "soon" }, "zoo", "run", "--stable-after", "2s", "--store", "/no/such/zoo");
        Assert.Equal(2, r.ExitCode);
        Assert.DoesNotContain("WW_STABLE_AFTER", r.Stderr);
        Assert.Contains("/no/such/zoo", r.Stderr);
    }

    [Fact]
    public void Help_shows_the_choices_and_the_environment_defaults_in_force()
    {
        var r = WwProcess.Run(Timeout, new Dictionary<string, string> { ["WW_STABLE_AFTER"] = "7s", ["WW_MIN_WORKERS"] = "3" }, "zoo", "run", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("--fix-fingers <clip_xmax|xmin_peak>", r.Stdout);
        Assert.Contains("--akka-log-level <DEBUG|INFO|WARNING|ERROR|OFF>", r.Stdout);
        Assert.Contains("(env WW_STABLE_AFTER) [default: 7s]", r.Stdout);
        Assert.Contains("(env WW_MIN_WORKERS) [default: 3]", r.Stdout);
        Assert.Contains("(env WW_HOSTNAME) [default: 127.0.0.1]", r.Stdout);

        r = WwProcess.Run("analyze", "--help");
        Assert.Contains("--precision <double|single>", r.Stdout);
    }

    [Fact]
    public void Report_of_a_missing_folder_is_one_error_line_with_exit_code_2()
    {
        var r = WwProcess.Run("report", "/no/such/results");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("error: /no/such/results: no such folder", Assert.Single(Lines(r.Stderr)).Trim());
    }

    [Fact]
    public void Keep_runs_below_one_fails_at_parse_time()
    {
        using var dir = new TempDir();
        var r = WwProcess.Run("zoo", "run", "--store", dir.Path, "--keep-runs", "0");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--keep-runs must be an integer of at least 1, not '0'", r.Stderr);
        Assert.DoesNotContain("demo zoo", r.Stderr);
    }
}
