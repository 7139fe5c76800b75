using WeightWatcher.Core.Analysis;

namespace WeightWatcher.Core.Tests.Analysis;

/// <summary>The memory budget of the layers in flight: leases wait for room, one that cannot fit alone is refused.</summary>
public sealed class MemoryBudgetTests
{
    private const long Mb = 1L << 20;

    [Fact]
    public async Task A_lease_waits_until_the_others_leave_room_then_runs()
    {
        var budget = new MemoryBudget(100 * Mb);
        var first = budget.Acquire(70 * Mb);
        var second = Task.Run(() => budget.Acquire(50 * Mb), TestContext.Current.CancellationToken);
        Assert.NotSame(second, await Task.WhenAny(second, Task.Delay(300, TestContext.Current.CancellationToken)));
        first.Dispose();
        Assert.Same(second, await Task.WhenAny(second, Task.Delay(5000, TestContext.Current.CancellationToken)));
        (await second).Dispose();
        first.Dispose(); // a second dispose gives nothing back twice
        using var whole = budget.Acquire(100 * Mb);
    }

    [Fact]
    public void A_lease_larger_than_the_whole_budget_is_refused_with_the_figures()
    {
        var budget = new MemoryBudget(100 * Mb);
        var e = Assert.Throws<InsufficientMemoryException>(() => budget.Acquire(150 * Mb));
        Assert.Contains("150 MB", e.Message, StringComparison.Ordinal);
        Assert.Contains("100 MB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_waiting_lease_can_be_cancelled()
    {
        var budget = new MemoryBudget(100 * Mb);
        using var held = budget.Acquire(90 * Mb);
        using var cancel = new CancellationTokenSource(200);
        Assert.Throws<OperationCanceledException>(() => budget.Acquire(20 * Mb, cancel.Token));
    }

    [Fact]
    public void The_estimate_counts_the_tensor_twice_and_two_gram_matrices()
    {
        Assert.Equal((2 * 1000 * 500 * 8) + (2 * 500 * 500 * 8), MemoryBudget.Estimate(1000 * 500, 500));
        Assert.True(MemoryBudget.DefaultBytes() > 0);
    }
}
