using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Core.Tests.Native;

/// <summary>The one mapping from the native provider's return codes to exceptions (no native library needed).</summary>
public sealed class NativeStatusTests
{
    [Fact]
    public void Each_status_becomes_its_own_exception_naming_the_routine()
    {
        NativeStatus.Ok.ThrowIfFailed("dgesdd");
        Assert.Contains("dgesdd: the matrix holds NaN", Assert.Throws<NotFiniteNumberException>(() => NativeStatus.NonFinite.ThrowIfFailed("dgesdd")).Message);
        Assert.Contains("sgesdd: no memory", Assert.Throws<InsufficientMemoryException>(() => NativeStatus.NoMemory.ThrowIfFailed("sgesdd")).Message);
        Assert.Equal("dgesdd did not converge (3 superdiagonals)", Assert.Throws<ArithmeticException>(() => ((NativeStatus)3).ThrowIfFailed("dgesdd")).Message);
        Assert.Equal("dsyevd rejected argument 2", Assert.Throws<ArithmeticException>(() => ((NativeStatus)(-2)).ThrowIfFailed("dsyevd")).Message);
    }
}
