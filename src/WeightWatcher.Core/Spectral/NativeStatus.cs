namespace WeightWatcher.Core.Spectral;

/// <summary>
/// What a spectral entry point of the native provider returned: <c>ww_status</c> in
/// src/WeightWatcher.Native/exports.h, or any other value as LAPACK's info code (positive: the algorithm
/// did not converge; negative: the 1-based index of a rejected argument, negated).
/// </summary>
internal enum NativeStatus
{
    /// <summary>Success (<c>WW_OK</c>, LAPACK's info 0).</summary>
    Ok = 0,

    /// <summary>Scratch memory could not be allocated (<c>WW_ERR_NOMEM</c>).</summary>
    NoMemory = -1000,

    /// <summary>The input holds NaN or an infinity (<c>WW_ERR_NONFINITE</c>).</summary>
    NonFinite = -1001,
}

/// <summary>The one place where a native status becomes an exception.</summary>
internal static class NativeStatusExtensions
{
    /// <summary>Returns when <paramref name="status"/> is <see cref="NativeStatus.Ok"/>; otherwise throws the exception that says what went wrong.</summary>
    /// <param name="status">The entry point's return value.</param>
    /// <param name="routine">The LAPACK routine behind the call, named in the message (e.g. <c>dgesdd</c>).</param>
    /// <exception cref="NotFiniteNumberException">The input holds NaN or an infinity.</exception>
    /// <exception cref="InsufficientMemoryException">The native side could not allocate its scratch memory.</exception>
    /// <exception cref="ArithmeticException">LAPACK did not converge or rejected an argument.</exception>
    public static void ThrowIfFailed(this NativeStatus status, string routine)
    {
        switch (status)
        {
            case NativeStatus.Ok:
                return;
            case NativeStatus.NonFinite:
                throw new NotFiniteNumberException($"{routine}: the matrix holds NaN or infinite values");
            case NativeStatus.NoMemory:
                throw new InsufficientMemoryException($"{routine}: no memory for the work copy");
            case > 0:
                throw new ArithmeticException($"{routine} did not converge ({(int)status} superdiagonals)");
            default:
                throw new ArithmeticException($"{routine} rejected argument {-(int)status}");
        }
    }
}
