namespace WeightWatcher.Cli.Commands;

/// <summary>
/// A command's own verdict that it failed, with the exit code to leave with. Commands throw it rather
/// than writing <c>error:</c> themselves, so that every failure leaves through <see cref="CliErrors"/>
/// and reads alike.
/// </summary>
internal sealed class CliFailure : Exception
{
    /// <summary>A failure with one reason.</summary>
    /// <param name="exitCode">One of the exit codes of <see cref="CliErrors"/>.</param>
    /// <param name="message">The reason, for a person to read (printed as one <c>error:</c> line).</param>
    public CliFailure(int exitCode, string message)
        : this(exitCode, [message])
    {
    }

    /// <summary>A failure with several reasons, each printed on its own <c>error:</c> line (e.g. each failed layer).</summary>
    public CliFailure(int exitCode, IReadOnlyList<string> reasons)
        : base(string.Join("; ", reasons))
    {
        ExitCode = exitCode;
        Reasons = reasons;
    }

    /// <summary>The process exit code.</summary>
    public int ExitCode { get; }

    /// <summary>The reasons, one line each.</summary>
    public IReadOnlyList<string> Reasons { get; }
}
