using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// Streaming read bandwidth, measured the way a decode step reads its weights: a vectorized sum over a buffer split in
/// contiguous chunks over N threads that start together, the best of several passes (as STREAM reports it). The buffer
/// size decides what is measured: one decode step's working set (<see cref="DecodeWorkingSet"/>) sits in the same cache
/// level as the model's data, so it gives the bound that decode can reach; a buffer at least 4× the last-level cache
/// (<see cref="DramBufferBytes"/>) measures DRAM.
/// </summary>
public sealed class MemoryBandwidth : IDisposable
{
    /// <summary>The DRAM buffer when the last-level cache size is unknown or small: 4× the largest L3 of typical boards.</summary>
    public const long MinDramBufferBytes = 256L << 20;

    private readonly ulong[] _buffer;
    private readonly long _bytes;

    /// <summary>A probe over <paramref name="bufferBytes"/> bytes (rounded down to whole pages, at least one), touched once so a pass measures reads, not page faults.</summary>
    public MemoryBandwidth(long bufferBytes)
    {
        _bytes = Math.Max(4096, bufferBytes - (bufferBytes % 4096));
        _bytes = Math.Min(_bytes, (long)Array.MaxLength * sizeof(ulong) / 2);
        _buffer = GC.AllocateUninitializedArray<ulong>((int)(_bytes / sizeof(ulong)), pinned: true);
        _buffer.AsSpan().Fill(1);
    }

    /// <summary>The DRAM probe's buffer: 4× the level-3 cache, at least <see cref="MinDramBufferBytes"/>.</summary>
    public static long DramBufferBytes(LastLevelCache llc)
    {
        ArgumentNullException.ThrowIfNull(llc);
        return llc.Bytes is { } b ? Math.Max(4 * b, MinDramBufferBytes) : MinDramBufferBytes;
    }

    public long BufferBytes => _bytes;

    /// <summary>Best read bandwidth in GB/s (1e9 bytes) over <paramref name="passes"/> passes with <paramref name="threads"/> threads.</summary>
    public double Measure(int threads, int passes = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        double best = 0;
        int chunk = _buffer.Length / threads / 64 * 64; // elements per thread

        // A buffer that fits a cache is read several times per pass, so a pass lasts long enough (≥ 256 MB read) that
        // starting and joining the threads does not count; a DRAM-sized one once.
        int sweeps = (int)Math.Clamp(MinDramBufferBytes / Math.Max(1, (long)chunk * sizeof(ulong) * threads), 1, 1 << 16);
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
                    long s = 0;
                    for (int i = 0; i < sweeps; i++)
                    {
                        s += Sum(_buffer.AsSpan(id * chunk, chunk));
                    }

                    sums[id] = s;
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
            best = Math.Max(best, (double)chunk * sizeof(ulong) * threads * sweeps / seconds / 1e9);
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
}
