using WeightWatcher.Core.Spectral;

namespace WeightWatcher.Core.Tests.Support;

/// <summary>
/// The spectral backends every parity test runs on. The native ones need libMathNetNumericsOpenBLAS.so,
/// which the build compiles; where it could not be built the tests say so and skip.
/// </summary>
public static class Backends
{
    public const string Managed = "managed";
    public const string OpenBlas = "openblas";
    public const string OpenBlasSvdOnly = "openblas-gesdd";

    public static readonly string[] Names = [Managed, OpenBlas, OpenBlasSvdOnly];

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
    /// <c>CI=true</c>, where .ci/run installs the packages the provider is built from (unless WW_NATIVE=off
    /// asks for the managed provider on purpose).
    /// </summary>
    public static void RequireNative()
    {
        if (!OpenBlasSpectralBackend.IsAvailable)
        {
            string reason = $"native OpenBLAS provider unavailable here: {OpenBlasSpectralBackend.UnavailableReason}";
            if (Environment.GetEnvironmentVariable("CI") == "true" && Environment.GetEnvironmentVariable(OpenBlasSpectralBackend.DisableVariable) != "off")
            {
                Assert.Fail(reason + " (CI=true: .ci/run installs libopenblas-dev and liblapacke-dev, so the provider must be there)");
            }
            Assert.Skip(reason);
        }
    }
}
