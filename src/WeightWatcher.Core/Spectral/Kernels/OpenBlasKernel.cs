using System.Runtime.InteropServices;

namespace WeightWatcher.Core.Spectral.Kernels;

/// <summary>
/// The OpenBLAS kernel family of this process. OpenBLAS reads <c>OPENBLAS_CORETYPE</c> once, in its
/// library constructor, so a family can be chosen only before the native provider is first loaded: then
/// <see cref="Apply"/> sets the variable in the process's native environment (libc <c>setenv</c>; .NET's
/// own <see cref="Environment.SetEnvironmentVariable(string, string?)"/> changes only a managed copy that
/// native code never reads). A value already set by the user or the environment is never changed.
/// </summary>
public static partial class OpenBlasKernel
{
    /// <summary>The environment variable OpenBLAS reads.</summary>
    public const string Variable = "OPENBLAS_CORETYPE";

    private static readonly Lock Gate = new();
    private static KernelChoice? _choice;

    /// <summary>The value of <c>OPENBLAS_CORETYPE</c> this process was started with, or null when unset or empty.</summary>
    public static string? EnvironmentValue => Environment.GetEnvironmentVariable(Variable) is { } v && v.Trim().Length > 0 ? v.Trim() : null;

    /// <summary>The decision in force: the one applied, else what the environment implies.</summary>
    public static KernelChoice Choice
    {
        get
        {
            lock (Gate)
            {
                return _choice ??= KernelChoice.FromEnvironment();
            }
        }
    }

    /// <summary>The family OpenBLAS runs (loads the native provider), or null without it.</summary>
    public static string? Loaded => OpenBlasSpectralBackend.CpuCore;

    /// <summary>OpenBLAS's version from its build configuration ("0.3.21"), or null without the native provider.</summary>
    public static string? Version => VersionOf(OpenBlasSpectralBackend.BuildConfig);

    /// <summary>The version in an <c>openblas_get_config()</c> text such as "OpenBLAS 0.3.21 DYNAMIC_ARCH ...".</summary>
    public static string? VersionOf(string? config) =>
        config?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["OpenBLAS", var version, ..] ? version : null;

    /// <summary>
    /// Makes <paramref name="choice"/> the decision of this process. For <see cref="KernelSource.Chosen"/>
    /// it sets <c>OPENBLAS_CORETYPE</c> natively, so it must run before anything loads the native provider.
    /// </summary>
    /// <exception cref="InvalidOperationException">The provider is already loaded, or the environment already sets the variable.</exception>
    public static void Apply(KernelChoice choice)
    {
        lock (Gate)
        {
            if (choice.Source == KernelSource.Chosen && choice.Family is { } family)
            {
                // Read the managed environment first: it is a snapshot taken on first use, and must not pick up our own value.
                if (EnvironmentValue is { } set)
                {
                    throw new InvalidOperationException($"{Variable}={set} is set in the environment; it is never changed");
                }
                if (OpenBlasNative.LoadError.IsValueCreated)
                {
                    throw new InvalidOperationException("the native provider is already loaded: a kernel family must be chosen before");
                }
                // Overwrite: an empty value counts as unset (OpenBLAS would only complain about it).
                if (SetEnv(Variable, family, 1) != 0)
                {
                    throw new InvalidOperationException($"setenv({Variable}) failed");
                }
            }
            _choice = choice;
        }
    }

    /// <summary>
    /// Where the dynamic loader would find <c>libopenblas.so.0</c>, resolved through its symbolic links
    /// (Debian's alternatives end in a versioned file such as <c>libopenblasp-r0.3.21.so</c>), with its size
    /// and modification time: identifies the OpenBLAS build without loading it. Null when not found.
    /// </summary>
    public static string? LibraryIdentity()
    {
        string multiarch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x86_64-linux-gnu",
            Architecture.Arm64 => "aarch64-linux-gnu",
            _ => "",
        };
        var folders = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat([AppContext.BaseDirectory, $"/usr/lib/{multiarch}", $"/lib/{multiarch}", "/usr/lib64", "/usr/local/lib", "/usr/lib"]);
        foreach (var folder in folders)
        {
            var file = new FileInfo(Path.Combine(folder, "libopenblas.so.0"));
            if (!file.Exists)
            {
                continue;
            }
            var target = file.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? file;
            return FormattableString.Invariant($"{target.FullName} {target.Length} {target.LastWriteTimeUtc:O}");
        }
        return null;
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
