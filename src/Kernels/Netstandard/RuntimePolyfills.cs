using System.Runtime.InteropServices;

namespace EdgeLlm.Kernels;

/// <summary>
/// netstandard2.1 polyfills of the .NET 10 runtime helpers the engine calls: <c>Array.MaxLength</c>, the pinned
/// allocations of <c>GC</c>, <c>File.Move</c> with overwrite, <c>GCCollectionMode.Aggressive</c>.
/// </summary>
internal static class RuntimePolyfills
{
    extension(Array)
    {
        /// <summary>The largest array length .NET allows (the .NET 10 value).</summary>
        public static int MaxLength => 0x7FFFFFC7;
    }

    extension(GC)
    {
        /// <summary>
        /// There is no pinned object heap before .NET 5: the array is pinned by a GC handle that is never freed, so it
        /// lives as long as the process (a board loads one model and keeps it; see docs/architecture.md,
        /// "netstandard2.1 build").
        /// </summary>
        public static T[] AllocateArray<T>(int length, bool pinned = false)
        {
            var array = new T[length];
            if (pinned)
            {
                GCHandle.Alloc(array, GCHandleType.Pinned);
            }

            return array;
        }

        public static T[] AllocateUninitializedArray<T>(int length, bool pinned = false) => AllocateArray<T>(length, pinned);
    }

    extension(File)
    {
        public static void Move(string sourceFileName, string destFileName, bool overwrite)
        {
            if (overwrite && File.Exists(destFileName))
            {
                File.Replace(sourceFileName, destFileName, destinationBackupFileName: null);
            }
            else
            {
                File.Move(sourceFileName, destFileName);
            }
        }
    }

    extension(GCCollectionMode)
    {
        /// <summary>netstandard2.1 has no aggressive mode; a forced collection is the nearest.</summary>
        public static GCCollectionMode Aggressive => GCCollectionMode.Forced;
    }
}
