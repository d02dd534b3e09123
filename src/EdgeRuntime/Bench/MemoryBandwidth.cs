using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
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
        // Distinct words (xorshift), not a constant: nothing below the process (page merging, compression) can make
        // the pages cheaper to read than the model's weights are.
        ulong x = 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < _buffer.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            _buffer[i] = x;
        }
    }

    /// <summary>The DRAM probe's buffer: 4× the level-3 cache, at least <see cref="MinDramBufferBytes"/>.</summary>
    public static long DramBufferBytes(LastLevelCache llc)
    {
        ArgumentNullException.ThrowIfNull(llc);
        return llc.Bytes is { } b ? Math.Max(4 * b, MinDramBufferBytes) : MinDramBufferBytes;
    }

    public long BufferBytes => _bytes;

    /// <summary>Best read bandwidth in GB/s (1e9 bytes) over <paramref name="passes"/> passes with <paramref name="threads"/> threads.</summary>
    /// <remarks>
    /// The calling thread is one of the readers, and every reader takes its own start and end time: a pass lasts from
    /// the first start to the last end. Timing from the caller alone, with <paramref name="threads"/> extra threads on
    /// a machine of as many cores, overstated it whenever the caller was descheduled between the start barrier and its
    /// clock read (2 threads on this 2-core VM: 67–138 GB/s "read" from a 256 MB buffer whose honest figure is 33–36).
    /// </remarks>
    public double Measure(int threads, int passes = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        double best = 0;
        int chunk = _buffer.Length / threads / 64 * 64; // elements per thread

        // A buffer that fits a cache is read several times per pass, so a pass lasts long enough (≥ 256 MB read) that
        // starting and joining the threads does not count; a DRAM-sized one once.
        int sweeps = (int)Math.Clamp(MinDramBufferBytes / Math.Max(1, (long)chunk * sizeof(ulong) * threads), 1, 1 << 16);
        long sink = 0;
        var starts = new long[threads];
        var ends = new long[threads];
        var sums = new long[threads];
        for (int p = 0; p < passes; p++)
        {
            using var go = new Barrier(threads);
            var workers = new Thread[threads - 1];
            for (int t = 1; t < threads; t++)
            {
                int id = t;
                workers[t - 1] = new Thread(() => Read(id, go, chunk, sweeps, starts, ends, sums)) { IsBackground = true, Name = "bench-bandwidth" };
                workers[t - 1].Start();
            }

            Read(0, go, chunk, sweeps, starts, ends, sums);
            foreach (var w in workers)
            {
                w.Join();
            }

            double seconds = (ends.Max() - starts.Min()) / (double)Stopwatch.Frequency;
            best = Math.Max(best, (double)chunk * sizeof(ulong) * threads * sweeps / seconds / 1e9);
            foreach (long v in sums)
            {
                sink ^= v; // random words: the sums wrap, so combine without LINQ's checked Sum
            }
        }

        GC.KeepAlive(sink);
        return best;
    }

    /// <summary>One reader's share of a pass: its chunk, <paramref name="sweeps"/> times, timed by the reader itself.</summary>
    private void Read(int id, Barrier go, int chunk, int sweeps, long[] starts, long[] ends, long[] sums)
    {
        go.SignalAndWait();
        starts[id] = Stopwatch.GetTimestamp();
        long s = 0;
        for (int i = 0; i < sweeps; i++)
        {
            s += Sum(_buffer.AsSpan(id * chunk, chunk));
        }

        ends[id] = Stopwatch.GetTimestamp();
        sums[id] = s;
    }

    public void Dispose()
    {
    }

    /// <summary>
    /// Four independent vector accumulators of 64-bit lanes: enough loads in flight to saturate DRAM. Fully optimized
    /// from the first call, so no pass runs tier-0 code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
