namespace WeightWatcher.Testing;

/// <summary>How a <see cref="FormatFuzzer"/> run mutates, exercises and bounds its cases.</summary>
public sealed class FuzzOptions
{
    /// <summary>What one case does with the path it opens (open, list, read every tensor...); returning means the file was accepted.</summary>
    public required Action<string> Exercise { get; init; }

    /// <summary>Mutated cases per seed.</summary>
    public int CasesPerSeed { get; init; } = 500;

    /// <summary>The deterministic random seed (seed number <c>s</c> uses <c>RandomSeed + s</c>, unless <see cref="OneRandomForAllSeeds"/>).</summary>
    public int RandomSeed { get; init; } = 20261129;

    /// <summary>One random source for every seed in turn, instead of one per seed.</summary>
    public bool OneRandomForAllSeeds { get; init; }

    /// <summary>How a case is made from its seed; <see cref="ByteMutations.Default"/> unless set.</summary>
    public Mutator Mutate { get; init; } = ByteMutations.Default;

    /// <summary>When true, each unmutated seed is exercised first and must be accepted.</summary>
    public bool SeedsMustBeValid { get; init; }

    /// <summary>
    /// The longest a case may take. A case over it is timed again after a garbage collection (the machine is
    /// shared) and is a problem only when slow twice.
    /// </summary>
    public TimeSpan PerCaseLimit { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The most a case may allocate on its thread, or null for no bound.</summary>
    public long? MaxCaseAllocation { get; init; }

    /// <summary>The whole run's limit: past it the test fails naming the case that is stuck (a hang).</summary>
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromSeconds(150);
}
