namespace System.Runtime.InteropServices;

/// <summary>
/// netstandard2.1 polyfill of the aligned allocations the engine uses: over-allocates from the process heap and keeps
/// the original pointer just below the aligned block so <see cref="AlignedFree"/> can release it.
/// </summary>
internal static unsafe class NativeMemory
{
    public static void* AlignedAlloc(nuint byteCount, nuint alignment)
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentException("alignment must be a power of two", nameof(alignment));
        }

        nint raw = Marshal.AllocHGlobal(checked((nint)(byteCount + alignment + (nuint)sizeof(nint))));
        nuint aligned = ((nuint)raw + (nuint)sizeof(nint) + alignment - 1) & ~(alignment - 1);
        ((nint*)aligned)[-1] = raw;
        return (void*)aligned;
    }

    public static void AlignedFree(void* ptr)
    {
        if (ptr != null)
        {
            Marshal.FreeHGlobal(((nint*)ptr)[-1]);
        }
    }
}
