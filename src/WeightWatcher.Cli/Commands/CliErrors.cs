using Serilog;
using WeightWatcher.Core.Formats;

namespace WeightWatcher.Cli.Commands;

/// <summary>Exit codes of <c>ww</c>, and the one place that turns exceptions into one-line errors.</summary>
internal static class CliErrors
{
    /// <summary>Everything was analyzed.</summary>
    public const int Success = 0;

    /// <summary>The model could not be read, or the arguments were invalid; nothing was analyzed.</summary>
    public const int BadInput = 2;

    /// <summary>The model was analyzed but some layers failed (each reported on stderr; results still written).</summary>
    public const int PartialFailure = 3;

    /// <summary>The model was read but holds no layer to analyze (no tensors, or every layer skipped or filtered out).</summary>
    public const int NothingToAnalyze = 4;

    /// <summary>Runs a command body, mapping bad input to a one-line error on stderr and exit code 2.</summary>
    public static int Run(Func<int> body) => RunAsync(() => Task.FromResult(body())).GetAwaiter().GetResult();

    /// <summary>Runs an asynchronous command body with the same mapping as <see cref="Run"/>.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ModelFormatException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            return Fail(e.Message);
        }
    }

    private static int Fail(string message)
    {
        Log.Debug("Command failed: {Reason}", message);
        Console.Error.WriteLine("error: " + message.ReplaceLineEndings(" "));
        return BadInput;
    }
}
