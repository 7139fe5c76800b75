using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Testing;

/// <summary>
/// The spectral backends every parity test runs on. The native ones need libMathNetNumericsOpenBLAS.so,
/// which the build compiles; where it could not be built the tests say so and skip.
/// </summary>
public static class Backends
{
    /// <summary>The managed (MathNet) backend.</summary>
    public const string Managed = "managed";

    /// <summary>The native OpenBLAS backend with its Gram route.</summary>
    public const string OpenBlas = "openblas";

    /// <summary>The native OpenBLAS backend, SVD (gesdd) only.</summary>
    public const string OpenBlasSvdOnly = "openblas-gesdd";

    /// <summary>Every backend name, for theories.</summary>
    public static readonly string[] Names = [Managed, OpenBlas, OpenBlasSvdOnly];

    /// <summary>The backend called <paramref name="name"/>; a native one skips (fails under CI) where unavailable.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    public static ISpectralBackend Create(string name)
    {
        if (name == Managed)
        {
            return ManagedSpectralBackend.Instance;
        }
        RequireNative();
        return name switch
        {
            OpenBlas => new OpenBlasSpectralBackend(),
            OpenBlasSvdOnly => new OpenBlasSpectralBackend(useGramRoute: false),
            _ => throw new ArgumentException(name),
        };
    }

    /// <summary>
    /// Skips the calling test, saying why, where the native provider is unavailable; fails it under
    /// <c>CI=true</c> (<see cref="Prerequisite"/>), where .ci/run installs the packages the provider is built
    /// from, unless WW_NATIVE=off asks for the managed provider on purpose.
    /// </summary>
    public static void RequireNative()
    {
        if (!OpenBlasSpectralBackend.IsAvailable)
        {
            string reason = $"native OpenBLAS provider unavailable here: {OpenBlasSpectralBackend.UnavailableReason}";
            if (Environment.GetEnvironmentVariable(OpenBlasSpectralBackend.DisableVariable) == "off")
            {
                Assert.Skip(reason + $" ({OpenBlasSpectralBackend.DisableVariable}=off)");
            }
            Prerequisite.Missing(reason + " (.ci/run installs libopenblas-dev and liblapacke-dev)");
        }
    }
}
