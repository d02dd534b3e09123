using System.Diagnostics;
using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeLlm.Kernels;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// Streaming read bandwidth, measured the way a decode step reads its weights: a vectorized sum over a region split in
/// contiguous chunks over N threads that start together, the best of several passes (as STREAM reports it). What is
/// read decides what is measured: the model file's own pages (<see cref="OverFile"/>, as many bytes as one decode step
/// reads, <see cref="DecodeWorkingSet"/>) give the bound decode can reach — the same physical pages in the same cache
/// level as the model's map; a buffer at least 4× the last-level cache (<see cref="DramBufferBytes"/>) measures DRAM.
/// </summary>
/// <remarks>
/// Why the model's pages and not a buffer of the same size: on this VM two equal anonymous buffers allocated one after
/// the other in one process read at 21–23 and 29–30 GB/s, whichever came first being the slow one (swapped order,
/// swapped speeds; 4 passes each), presumably where the host backs guest memory with small or huge pages. A probe on
/// its own buffer measures that lottery, not the model's memory.
/// </remarks>
public sealed unsafe class MemoryBandwidth : IDisposable
{
    /// <summary>The DRAM buffer when the last-level cache size is unknown or small: 4× the largest L3 of typical boards.</summary>
    public const long MinDramBufferBytes = 256L << 20;

    private readonly long _bytes;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _data;

    /// <summary>A probe over <paramref name="bufferBytes"/> bytes of its own memory (rounded down to whole pages, at least one), written once so a pass measures reads, not page faults.</summary>
    public MemoryBandwidth(long bufferBytes)
    {
        _bytes = Math.Max(4096, bufferBytes - (bufferBytes % 4096));
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)_bytes, 4096);

        // Distinct words (xorshift), not a constant: nothing below the process (page merging, compression) can make
        // the pages cheaper to read than the model's weights are.
        var words = (ulong*)_data;
        ulong x = 0x9E3779B97F4A7C15UL;
        for (long i = 0; i < _bytes / sizeof(ulong); i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            words[i] = x;
        }
    }

    private MemoryBandwidth(MemoryMappedFile map, MemoryMappedViewAccessor view, long offset, long bytes)
    {
        _map = map;
        _view = view;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _data = p + view.PointerOffset + offset;
        _bytes = bytes;
    }

    /// <summary>
    /// A probe over the last <paramref name="bytes"/> bytes of <paramref name="path"/> (the tensor data of a GGUF file,
    /// which ends it), read through a read-only map of its own: the same page-cache pages as the model's map. The file's
    /// pages are read once before the first pass. Fewer bytes when the file is shorter; a whole number of 64-byte lines.
    /// </summary>
    public static MemoryBandwidth OverFile(string path, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        long length = new FileInfo(path).Length;
        long n = Math.Min(bytes, length) & ~63L;
        if (n < 4096)
        {
            throw new ArgumentException($"{path} is too short ({length} bytes) for a bandwidth probe", nameof(path));
        }

        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            var probe = new MemoryBandwidth(map, view, length - n, n);
            probe.Measure(1, passes: 1); // fault the pages in
            return probe;
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>The DRAM probe's buffer: 4× the level-3 cache, at least <see cref="MinDramBufferBytes"/>.</summary>
    public static long DramBufferBytes(LastLevelCache llc)
    {
        ArgumentNullException.ThrowIfNull(llc);
        return llc.Bytes is { } b ? Math.Max(4 * b, MinDramBufferBytes) : MinDramBufferBytes;
    }

    public long BufferBytes => _bytes;

    /// <summary>What the probe reads, for the report: "the model file's last 127.5 MB" or "a 256 MB buffer".</summary>
    public string What => _view is null
        ? string.Create(CultureInfo.InvariantCulture, $"a {_bytes / (1024.0 * 1024.0):F0} MB buffer")
        : string.Create(CultureInfo.InvariantCulture, $"the model file's last {_bytes / (1024.0 * 1024.0):F1} MB");

    /// <summary>
    /// The DRAM probe: the whole model file when it is at least <see cref="DramBufferBytes"/> (its own pages, like the
    /// working-set probe; see the remarks), else a buffer of that size.
    /// </summary>
    public static MemoryBandwidth ForDram(string modelPath, LastLevelCache llc)
    {
        long need = DramBufferBytes(llc);
        long length = new FileInfo(modelPath).Length;
        return length >= need ? OverFile(modelPath, length) : new MemoryBandwidth(need);
    }

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
        long chunk = _bytes / sizeof(ulong) / threads / 64 * 64; // words per thread

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
    private void Read(int id, Barrier go, long chunk, int sweeps, long[] starts, long[] ends, long[] sums)
    {
        go.SignalAndWait();
        starts[id] = Stopwatch.GetTimestamp();
        long s = 0;
        for (int i = 0; i < sweeps; i++)
        {
            s += Sum((ulong*)_data + (id * chunk), chunk);
        }

        ends[id] = Stopwatch.GetTimestamp();
        sums[id] = s;
    }

    public void Dispose()
    {
        if (_data == null)
        {
            return;
        }

        if (_view is null)
        {
            NativeMemory.AlignedFree(_data);
        }
        else
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map!.Dispose();
        }

        _data = null;
    }

    /// <summary>
    /// Four independent vector accumulators of 64-bit lanes: enough loads in flight to saturate DRAM. Fully optimized
    /// from the first call, so no pass runs tier-0 code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long Sum(ulong* data, long words)
    {
        int w = Vector<ulong>.Count;
        Vector<ulong> a0 = default, a1 = default, a2 = default, a3 = default;
        long i = 0, step = 4 * w;
        for (; i + step <= words; i += step)
        {
            a0 += Vector.Load(data + i);
            a1 += Vector.Load(data + i + w);
            a2 += Vector.Load(data + i + (2 * w));
            a3 += Vector.Load(data + i + (3 * w));
        }

        return (long)Vector.Sum(a0 + a1 + a2 + a3);
    }
}
