using System.CommandLine;
using System.CommandLine.Parsing;
using Serilog;
using WeightWatcher.Core.Analysis;
using WeightWatcher.Core.Formats;
using WeightWatcher.Core.Regression;
using WeightWatcher.Storage;

namespace WeightWatcher.Cli.Commands;

/// <summary>
/// Exit codes of <c>ww</c>, and the one place that writes <c>error:</c> lines: for parse errors, for the
/// exceptions that mean bad input, and for a command's own <see cref="CliFailure"/>.
/// </summary>
internal static class CliErrors
{
    /// <summary>Everything was analyzed.</summary>
    public const int Success = 0;

    /// <summary>ww failed in a way no input explains (a bug): one <c>error:</c> line, the stack trace in the debug log.</summary>
    public const int InternalError = 1;

    /// <summary>The model could not be read, or the arguments were invalid; nothing was analyzed.</summary>
    public const int BadInput = 2;

    /// <summary>The model was analyzed but some layers failed (each reported on stderr; results still written).</summary>
    public const int PartialFailure = 3;

    /// <summary>The model was read but holds no layer to analyze (no tensors, or every layer skipped or filtered out).</summary>
    public const int NothingToAnalyze = 4;

    /// <summary><c>ww zoo run --fail-on-alert</c>: the job finished and an alert rule fired.</summary>
    public const int AlertFired = 5;

    /// <summary>Runs a command body, mapping failures to <c>error:</c> lines on stderr and their exit code.</summary>
    public static int Run(Func<int> body) => RunAsync(() => Task.FromResult(body())).GetAwaiter().GetResult();

    /// <summary>Runs an asynchronous command body with the same mapping as <see cref="Run"/>.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (CliFailure e)
        {
            return Fail(e.ExitCode, e.Reasons);
        }
        catch (Exception e) when (IsBadInput(e))
        {
            return Fail(BadInput, [e.Message]);
        }
        catch (LayerAnalysisException e)
        {
            // A command that analyzes one layer (ww esd) and that layer failed: the same line analyze prints.
            return Fail(PartialFailure, [e.Message]);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else is ww's own fault: one line for the user, the stack trace in the debug log.
            Log.Debug(e, "Unexpected failure");
            return Fail(InternalError, [$"unexpected {e.GetType().Name}: {e.Message} (WW_LOG_LEVEL=Debug shows where)"]);
        }
    }

    /// <summary>
    /// Reports the errors of a command line that did not parse (unknown options, values not among the
    /// choices, invalid environment fallbacks), with a pointer to the command's help; returns <see cref="BadInput"/>.
    /// </summary>
    public static int ParseFailed(ParseResult parse)
    {
        // System.CommandLine lists choices on tab-indented lines: one line each error, single spaces.
        Fail(BadInput, parse.Errors.Select(e => string.Join(' ', e.Message.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries))).Distinct().ToList());
        Console.Error.WriteLine($"see: {CommandPath(parse.CommandResult)} --help");
        return BadInput;
    }

    /// <summary>The exceptions that mean the input (arguments, model, store, catalog) is wrong rather than ww.</summary>
    private static bool IsBadInput(Exception e) =>
        e is ModelFormatException or StoreException or CatalogException or ArgumentException or IOException or UnauthorizedAccessException;

    /// <summary>"ww zoo run": the names from the root down to the command the parse ended at.</summary>
    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? s = command; s is not null; s = s.Parent)
        {
            if (s is CommandResult c)
            {
                names.Insert(0, c.Command is RootCommand ? "ww" : c.Command.Name);
            }
        }
        return string.Join(' ', names);
    }

    private static int Fail(int exitCode, IReadOnlyList<string> reasons)
    {
        foreach (string reason in reasons)
        {
            Log.Debug("Command failed: {Reason}", reason);
            Console.Error.WriteLine("error: " + reason.ReplaceLineEndings(" "));
        }
        return exitCode;
    }
}
