using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace WeightWatcher.Core.Analysis;

/// <summary>
/// Large arrays that are kept and reused, with transparent huge pages requested on Linux. On the virtual
/// machines this runs on, the first touch of each fresh 4 KiB page costs about 15 us (a trapped page
/// fault): filling a new 19 MB tensor buffer paid some 70 ms in faults before any arithmetic. With huge
/// pages the kernel faults once per 2 MiB instead. The arrays live on the pinned object heap, so their
/// address, and the advice given for it, stays valid; they are meant for pools, not for short-lived use.
/// </summary>
internal static partial class HugePageArrays
{
    private const long HugePage = 2L << 20;
    private const int MadvHugePage = 14;

    /// <summary>An uninitialized pinned array of <paramref name="length"/> elements.</summary>
    public static unsafe T[] Allocate<T>(int length) where T : unmanaged
    {
        var array = GC.AllocateUninitializedArray<T>(length, pinned: true);
        long bytes = (long)length * sizeof(T);
        if (bytes >= 2 * HugePage && OperatingSystem.IsLinux())
        {
            long start = (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
            long first = (start + HugePage - 1) & ~(HugePage - 1);
            long end = (start + bytes) & ~(HugePage - 1);
            if (end > first)
            {
                try
                {
                    // Advice only: the return value is ignored, as without huge pages the array works the same.
                    _ = Madvise((nint)first, (nuint)(end - first), MadvHugePage);
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
                {
                    // Not glibc/musl: plain pages.
                }
            }
        }
        return array;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
