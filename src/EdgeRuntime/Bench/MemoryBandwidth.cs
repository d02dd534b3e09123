using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// This machine's streaming read bandwidth, measured the way a decode step reads its weights: a vectorized sum over
/// a buffer at least 4x the last-level cache (so it comes from DRAM), split in contiguous chunks over N threads that
/// start together. The best of several passes, as STREAM reports it.
/// </summary>
public sealed class MemoryBandwidth : IDisposable
{
    private readonly ulong[] buffer;
    private readonly long bytes;

    public MemoryBandwidth(long? bufferBytes = null)
    {
        LastLevelCacheBytes = ReadLastLevelCache();
        bytes = bufferBytes ?? Math.Max(4 * LastLevelCacheBytes, 256L << 20);
        bytes = Math.Min(bytes - (bytes % 4096), (long)Array.MaxLength * sizeof(ulong) / 2);
        buffer = GC.AllocateUninitializedArray<ulong>((int)(bytes / sizeof(ulong)), pinned: true);
        buffer.AsSpan().Fill(1); // touch every page so a pass measures reads, not page faults
    }

    public long BufferBytes => bytes;

    public long LastLevelCacheBytes { get; }

    /// <summary>Best read bandwidth in GB/s (1e9 bytes) over <paramref name="passes"/> passes with <paramref name="threads"/> threads.</summary>
    public double Measure(int threads, int passes = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        double best = 0;
        int chunk = buffer.Length / threads / 64 * 64; // elements per thread
        long sink = 0;
        for (int p = 0; p < passes; p++)
        {
            using var go = new Barrier(threads + 1);
            var sums = new long[threads];
            var workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                int id = t;
                workers[t] = new Thread(() =>
                {
                    go.SignalAndWait();
                    sums[id] = Sum(buffer.AsSpan(id * chunk, chunk));
                })
                { IsBackground = true, Name = "bench-bandwidth" };
                workers[t].Start();
            }

            go.SignalAndWait();
            long start = Stopwatch.GetTimestamp();
            foreach (var w in workers)
            {
                w.Join();
            }

            double seconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
            best = Math.Max(best, (double)chunk * sizeof(ulong) * threads / seconds / 1e9);
            sink += sums.Sum();
        }

        GC.KeepAlive(sink);
        return best;
    }

    public void Dispose()
    {
    }

    /// <summary>Four independent vector accumulators of 64-bit lanes: enough loads in flight to saturate DRAM.</summary>
    private static long Sum(ReadOnlySpan<ulong> data)
    {
        int w = Vector<ulong>.Count;
        ref ulong p = ref MemoryMarshal.GetReference(data);
        Vector<ulong> a0 = default, a1 = default, a2 = default, a3 = default;
        nuint i = 0, n = (nuint)data.Length, step = (nuint)(4 * w);
        for (; i + step <= n; i += step)
        {
            a0 += Vector.LoadUnsafe(ref p, i);
            a1 += Vector.LoadUnsafe(ref p, i + (nuint)w);
            a2 += Vector.LoadUnsafe(ref p, i + (nuint)(2 * w));
            a3 += Vector.LoadUnsafe(ref p, i + (nuint)(3 * w));
        }

        return (long)Vector.Sum(a0 + a1 + a2 + a3);
    }

    /// <summary>The largest data/unified cache of CPU 0 from sysfs; 32 MB when unknown.</summary>
    private static long ReadLastLevelCache()
    {
        long best = 0;
        try
        {
            const string root = "/sys/devices/system/cpu/cpu0/cache";
            if (Directory.Exists(root))
            {
                foreach (string dir in Directory.GetDirectories(root, "index*"))
                {
                    string sizeFile = Path.Combine(dir, "size"), typeFile = Path.Combine(dir, "type");
                    if (!File.Exists(sizeFile) || (File.Exists(typeFile) && File.ReadAllText(typeFile).Trim() == "Instruction"))
                    {
                        continue;
                    }

                    string s = File.ReadAllText(sizeFile).Trim();
                    long mult = s.EndsWith('K') ? 1024 : s.EndsWith('M') ? 1024 * 1024 : 1;
                    if (long.TryParse(s.TrimEnd('K', 'M'), out long v))
                    {
                        best = Math.Max(best, v * mult);
                    }
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return best > 0 ? best : 32L << 20;
    }
}
