using System.CommandLine;
using System.CommandLine.Parsing;

namespace WeightWatcher.Cli.Commands;

/// <summary>
/// The building blocks of the option sets: adding a set's options to a command, and options that fall back
/// to a <c>WW_*</c> variable (<see cref="EnvironmentDefaults"/>) through their default-value factory, so that
/// help shows the value in force and a bad value, given or inherited, fails at parse time with exit code 2.
/// </summary>
internal static class CliOptions
{
    /// <summary>Adds <paramref name="options"/> to <paramref name="command"/> in order.</summary>
    public static void AddOptions(this Command command, params IEnumerable<Option> options)
    {
        foreach (var option in options)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>
    /// An option whose value, when not given, comes from <paramref name="variable"/>, else from
    /// <paramref name="fallback"/>. The same <paramref name="parse"/> checks both (it throws
    /// <see cref="ArgumentException"/> or <see cref="FormatException"/> with the reason for a bad value).
    /// </summary>
    public static Option<T> FromEnvironment<T>(string name, string variable, string description, Func<string, string, T> parse, Func<T> fallback) =>
        new(name)
        {
            Description = $"{description} (env {variable})",
            DefaultValueFactory = result => EnvironmentDefaults.Get(variable) is { } text
                ? Parse(result, text, variable, parse, fallback)
                : fallback(),
            CustomParser = Checked(name, parse, fallback),
        };

    /// <summary>
    /// A parser for an option's given value that refuses a bad one at parse time with the reason
    /// <paramref name="parse"/> throws (<see cref="ArgumentException"/> or <see cref="FormatException"/>).
    /// </summary>
    public static Func<ArgumentResult, T> Checked<T>(string name, Func<string, string, T> parse, Func<T> fallback) =>
        result => Parse(result, result.Tokens[^1].Value, name, parse, fallback);

    /// <summary>An integer of at least <paramref name="minimum"/>, named <paramref name="source"/> in the error.</summary>
    public static int Integer(string text, string source, int minimum) =>
        int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= minimum
            ? value
            : throw new FormatException($"{source} must be an integer of at least {minimum}, not '{text}'");

    /// <summary>
    /// A size in bytes written with a unit (<c>512M</c>, <c>4G</c>, <c>1.5G</c>; a plain number is megabytes),
    /// at least 64 MB, named <paramref name="source"/> in the error.
    /// </summary>
    public static long Size(string text, string source)
    {
        string t = text.Trim().ToUpperInvariant().TrimEnd('B');
        double scale = t.EndsWith('G') ? 1L << 30 : t.EndsWith('K') ? 1L << 10 : 1L << 20;
        string number = t.TrimEnd('G', 'M', 'K');
        return double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value)
            && value * scale >= 64L << 20 && value * scale < long.MaxValue
            ? (long)(value * scale)
            : throw new FormatException($"{source} must be a size of at least 64M such as 512M or 4G, not '{text}'");
    }

    /// <summary>
    /// <c>--max-memory</c> (<c>WW_MAX_MEMORY</c>): the bytes the layers in flight may hold together; larger
    /// layers wait for others to finish, and a layer that cannot fit alone fails with the figures.
    /// </summary>
    public static Option<long> MaxMemory() => FromEnvironment("--max-memory", EnvironmentDefaults.MaxMemory,
        "Memory the layers analyzed at once may hold together, e.g. 4G (default: 60% of the memory available to the process)",
        Size, Core.Analysis.MemoryBudget.DefaultBytes);

    /// <summary>A port number (1 to 65535), named <paramref name="source"/> in the error.</summary>
    public static int PortNumber(string text, string source) =>
        Integer(text, source, 1) is var port and <= 65535 ? port : throw new FormatException($"{source} must be a port number (1 to 65535), not '{text}'");

    private static T Parse<T>(ArgumentResult result, string text, string source, Func<string, string, T> parse, Func<T> fallback)
    {
        try
        {
            return parse(text, source);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            result.AddError(e.Message);
            return fallback();
        }
    }
}
