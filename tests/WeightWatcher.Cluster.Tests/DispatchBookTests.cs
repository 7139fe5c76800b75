using WeightWatcher.Cluster.Coordination;

namespace WeightWatcher.Cluster.Tests;

/// <summary>The coordinator's task bookkeeping: bounded in flight, deadlines, first-wins completion, free re-sends after a member leaves; immutable.</summary>
public sealed class DispatchBookTests
{
    private static readonly DateTime T0 = new(2026, 11, 29, 2, 0, 0, DateTimeKind.Utc);

    private static DispatchBook<string> Book(int tasks, int maxInFlight = 3)
    {
        var book = new DispatchBook<string>(maxInFlight, TimeSpan.FromSeconds(60));
        for (int i = 0; i < tasks; i++)
        {
            book = book.Add($"k{i}", $"task{i}");
        }
        return book;
    }

    [Fact]
    public void Sends_at_most_the_bound_and_more_as_tasks_complete()
    {
        var (book, send) = Book(5).TakeSendable(T0);
        Assert.Equal(["task0", "task1", "task2"], send);
        (book, send) = book.TakeSendable(T0);
        Assert.Empty(send);
        (book, bool completed) = book.Complete("k1");
        Assert.True(completed);
        (book, send) = book.TakeSendable(T0);
        Assert.Equal(["task3"], send);
        Assert.Equal(3, book.InFlight);
        Assert.False(book.AllDone);
    }

    [Fact]
    public void Operations_leave_the_original_book_unchanged()
    {
        var before = Book(2);
        var (after, _) = before.TakeSendable(T0);
        after = after.Complete("k0").Book;
        Assert.Equal((0, 0), (before.InFlight, before.Done));
        Assert.Equal((1, 1), (after.InFlight, after.Done));
        Assert.Equal(["task0", "task1"], before.TakeSendable(T0).Send);
    }

    [Fact]
    public void A_duplicate_reply_counts_once()
    {
        var (book, _) = Book(2).TakeSendable(T0);
        (book, bool first) = book.Complete("k0");
        (book, bool second) = book.Complete("k0");
        (book, bool unknown) = book.Complete("unknown");
        Assert.Equal((true, false, false), (first, second, unknown));
        Assert.Equal(1, book.Done);
    }

    [Fact]
    public void Expired_tasks_go_again_first_and_count_attempts()
    {
        var (book, _) = Book(5, maxInFlight: 2).TakeSendable(T0);
        Assert.Empty(book.Expired(T0.AddSeconds(59)));
        Assert.Equal(["k0", "k1"], book.Expired(T0.AddSeconds(60)));
        (book, bool retried) = book.Retry("k1");
        Assert.True(retried);
        (book, var send) = book.TakeSendable(T0.AddSeconds(60));
        Assert.Equal(["task1"], send);
        Assert.Equal(2, book.Attempts("k1"));
        Assert.Equal(1, book.Attempts("k0"));
        Assert.False(book.Retry("k4").Retried); // never sent: nothing to retry
    }

    [Fact]
    public void After_a_member_leaves_tasks_in_flight_go_again_soon_and_for_free()
    {
        var (book, _) = Book(3).TakeSendable(T0);
        book = book.Complete("k2").Book;
        (book, int inFlight) = book.Hurry(T0.AddSeconds(5));
        Assert.Equal(2, inFlight);
        Assert.Empty(book.Expired(T0.AddSeconds(4)));
        var expired = book.Expired(T0.AddSeconds(5));
        Assert.Equal(["k0", "k1"], expired);
        Assert.True(book.IsFree("k0"));
        foreach (var key in expired)
        {
            book = book.Retry(key).Book;
        }
        (book, var send) = book.TakeSendable(T0.AddSeconds(5));
        Assert.Equal(2, send.Count);
        Assert.Equal(1, book.Attempts("k0"));
        Assert.False(book.IsFree("k0"));
    }

    [Fact]
    public void Stored_results_are_done_without_sending()
    {
        var book = Book(2).AddDone("cached", "taskC");
        Assert.Equal(3, book.Total);
        Assert.Equal(1, book.Done);
        (book, var send) = book.TakeSendable(T0);
        Assert.DoesNotContain("taskC", send);
        book = book.Complete("k0").Book.Complete("k1").Book;
        Assert.True(book.AllDone);
    }
}
