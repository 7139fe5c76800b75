using WeightWatcher.Cluster.Coordination;

namespace WeightWatcher.Cluster.Tests;

/// <summary>The coordinator's task bookkeeping: bounded in flight, deadlines, first-wins completion, free re-sends after a member leaves.</summary>
public sealed class DispatchBookSpec
{
    private static readonly DateTime T0 = new(2026, 11, 29, 2, 0, 0, DateTimeKind.Utc);

    private static DispatchBook<string> Book(int tasks, int maxInFlight = 3)
    {
        var book = new DispatchBook<string>(maxInFlight, TimeSpan.FromSeconds(60));
        for (int i = 0; i < tasks; i++)
        {
            book.Add($"k{i}", $"task{i}");
        }
        return book;
    }

    [Fact]
    public void Sends_at_most_the_bound_and_more_as_tasks_complete()
    {
        var book = Book(5);
        Assert.Equal(["task0", "task1", "task2"], book.TakeSendable(T0));
        Assert.Empty(book.TakeSendable(T0));
        Assert.True(book.Complete("k1"));
        Assert.Equal(["task3"], book.TakeSendable(T0));
        Assert.Equal(3, book.InFlight);
        Assert.False(book.AllDone);
    }

    [Fact]
    public void A_duplicate_reply_counts_once()
    {
        var book = Book(2);
        book.TakeSendable(T0);
        Assert.True(book.Complete("k0"));
        Assert.False(book.Complete("k0"));
        Assert.False(book.Complete("unknown"));
        Assert.Equal(1, book.Done);
    }

    [Fact]
    public void Expired_tasks_go_again_first_and_count_attempts()
    {
        var book = Book(5, maxInFlight: 2);
        book.TakeSendable(T0);
        Assert.Empty(book.Expired(T0.AddSeconds(59)));
        Assert.Equal(["k0", "k1"], book.Expired(T0.AddSeconds(60)).Order());
        Assert.True(book.Retry("k1"));
        Assert.Equal(["task1"], book.TakeSendable(T0.AddSeconds(60)));
        Assert.Equal(2, book.Attempts("k1"));
        Assert.Equal(1, book.Attempts("k0"));
    }

    [Fact]
    public void After_a_member_leaves_tasks_in_flight_go_again_soon_and_for_free()
    {
        var book = Book(3);
        book.TakeSendable(T0);
        book.Complete("k2");
        Assert.Equal(2, book.Hurry(T0.AddSeconds(5)));
        Assert.Empty(book.Expired(T0.AddSeconds(4)));
        var expired = book.Expired(T0.AddSeconds(5));
        Assert.Equal(["k0", "k1"], expired.Order());
        Assert.True(book.IsFree("k0"));
        foreach (var key in expired)
        {
            book.Retry(key);
        }
        Assert.Equal(2, book.TakeSendable(T0.AddSeconds(5)).Count);
        Assert.Equal(1, book.Attempts("k0"));
        Assert.False(book.IsFree("k0"));
    }

    [Fact]
    public void Stored_results_are_done_without_sending()
    {
        var book = Book(2);
        book.AddDone("cached", "taskC");
        Assert.Equal(3, book.Total);
        Assert.Equal(1, book.Done);
        Assert.DoesNotContain("taskC", book.TakeSendable(T0));
        book.Complete("k0");
        book.Complete("k1");
        Assert.True(book.AllDone);
    }
}
