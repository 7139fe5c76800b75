namespace WeightWatcher.Testing;

/// <summary>The outcome of a <see cref="FormatFuzzer"/> run: counts, the slowest case, and every bad outcome.</summary>
public sealed class FuzzReport
{
    private volatile string _current = "";

    /// <summary>Cases run (mutated cases only, not the unmutated seeds).</summary>
    public int Cases { get; internal set; }

    /// <summary>Cases refused with the allowed exception.</summary>
    public int Rejected { get; internal set; }

    /// <summary>Cases read without an error.</summary>
    public int Accepted { get; internal set; }

    /// <summary>The slowest case's time in milliseconds.</summary>
    public long LongestMs { get; internal set; }

    /// <summary>The slowest case's label.</summary>
    public string LongestCase { get; internal set; } = "";

    /// <summary>The most one case allocated, in bytes.</summary>
    public long MostAllocated { get; internal set; }

    /// <summary>Rejected and accepted cases per seed name.</summary>
    public Dictionary<string, (int Rejected, int Accepted)> PerSeed { get; } = new(StringComparer.Ordinal);

    /// <summary>Bad outcomes: other exceptions, exceptions not naming the file, slow or allocating cases.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>The case running now (named when a run hangs).</summary>
    public string Current { get => _current; internal set => _current = value; }

    /// <summary>Fails the test when any case had a bad outcome, listing the first ones.</summary>
    public void AssertNoProblems() =>
        Assert.True(Problems.Count == 0, $"{Problems.Count} bad outcomes, first ones:\n" + string.Join("\n", Problems.Take(25)));

    /// <summary>
    /// Fails the test unless <paramref name="expectedCases"/> cases ran and more than the given fractions were
    /// rejected and accepted: a fuzz that refuses everything (or nothing) is not exercising the reader.
    /// </summary>
    /// <param name="expectedCases">Seeds times cases per seed.</param>
    /// <param name="minRejected">Fraction of cases that must be rejected, e.g. 0.1.</param>
    /// <param name="minAccepted">Fraction of cases that must be accepted, e.g. 0.02 (0 for no bound).</param>
    public void AssertExercised(int expectedCases, double minRejected, double minAccepted)
    {
        Assert.Equal(expectedCases, Cases);
        Assert.True(Rejected > Cases * minRejected, $"only {Rejected} of {Cases} cases were rejected: the mutations are too weak ({this})");
        Assert.True(minAccepted <= 0 || Accepted > Cases * minAccepted, $"only {Accepted} of {Cases} cases were accepted ({this})");
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Cases} cases, {Rejected} rejected, {Accepted} accepted, longest {LongestMs} ms ({LongestCase}), " +
        $"most allocated by one case {MostAllocated / 1024} KiB; per seed: " +
        string.Join("; ", PerSeed.Select(kv => $"{kv.Key} {kv.Value.Rejected}/{kv.Value.Accepted}"));
}
