using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace EdgeLlm.Kernels.Threading;

/// <summary>
/// Persistent compute threads: <see cref="Threads"/> − 1 workers plus the calling thread. A call to
/// <see cref="Run"/> publishes a job by writing a new generation into one 64-bit state word (generation in the high
/// half, next unclaimed item in the low half); workers spin briefly on it, then park on a monitor. Every thread claims
/// chunks with a compare-and-swap on that word, and the caller returns as soon as every item is <em>done</em> — it
/// never waits for a worker that has not started. On a shared or oversubscribed machine a preempted worker therefore
/// costs nothing: the caller simply runs the chunks itself (waiting for whole workers made two threads 3× slower than
/// one under load). The job's fields live in a two-slot ring indexed by generation: a claim on generation G succeeds
/// only while G is unfinished, so the slot a successful claimer read cannot have been reused (that needs G + 1 done).
/// Every call of the work function is told which thread runs it (0 = the caller, 1.. = the workers), so a job can
/// give each thread its own scratch memory without any claiming. An exception thrown on any thread is rethrown to the
/// caller. Nothing is allocated per call. One <see cref="Run"/> at a time. The pool knows nothing of kernels: the
/// model's <c>KernelTable</c> decides what runs.
/// The one thing the caller cannot take over is a chunk a worker has claimed and is then preempted in the middle of:
/// the caller waits for it. When that keeps happening — three waits far longer than the caller's own chunks took within
/// 100 ms, as when another process keeps a core busy (two threads then ran slower than one) — jobs run on the caller
/// alone for <see cref="SoloMilliseconds"/> while the workers park, then the workers are tried again. A single stall
/// (a virtual CPU briefly descheduled by its host) changes nothing.
/// </summary>
internal sealed unsafe class WorkerPool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private readonly long _spinTicks;
    private readonly Job[] _jobs = new Job[2]; // ring of the published job, indexed by _generation & 1

    // hot shared words, each on its own cache line
    private Padded _state;     // (_generation << 32) | next unclaimed item
    private Padded _done;      // items finished in the current _generation
    private uint _generation;  // the caller's copy of the current _generation
    private int _sleepers;     // _workers parked on the monitor
    private int _busy;         // 1 while a Run is in progress
    private volatile bool _disposed;
    private long _soloUntil;   // timestamp before which _jobs run on the caller alone
    private long _stall1;      // timestamps of the last two stalls
    private long _stall2;
    private volatile bool _failed;
    private Exception? _failure;

    /// <summary>A pool of <paramref name="threads"/> threads (the caller counts as one).</summary>
    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        Threads = threads;
        _spinTicks = Stopwatch.Frequency / 5_000; // ~200 µs of spinning before parking
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int index = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(index))
            {
                IsBackground = true,
                Name = $"edgellm-worker-{i + 1}",
            };
            _workers[i].Start();
        }
    }

    /// <summary>Threads doing the work, including the caller of <see cref="Run"/>.</summary>
    public int Threads { get; }

    /// <summary>
    /// Calls <paramref name="work"/>(context, start, end, thread) over [0, <paramref name="items"/>) in pieces of
    /// <paramref name="chunkSize"/> on all threads, thread being the index in [0, <see cref="Threads"/>) of the thread
    /// that runs the piece (0 = the caller); blocks until every piece is done. <paramref name="context"/> must
    /// stay valid (e.g. a struct on the caller's stack) until this returns.
    /// </summary>
    public void Run(int items, int chunkSize, delegate*<void*, int, int, int, void> work, void* context)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        if (work == null)
        {
            throw new ArgumentNullException(nameof(work));
        }

        if (items == 0)
        {
            return;
        }

        if (_workers.Length == 0 || chunkSize >= items || (Adaptive && Stopwatch.GetTimestamp() < _soloUntil))
        {
            work(context, 0, items, 0);
            return;
        }

        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("WorkerPool.Run is not reentrant: one job at a time");
        }

        try
        {
            uint g = ++_generation;
            ref Job job = ref _jobs[g & 1];
            job.Body = work;
            job.Context = context;
            job.Count = items;
            job.Chunk = chunkSize;
            _failure = null;
            _failed = false;
            Volatile.Write(ref _done.Value, 0);
            Interlocked.Exchange(ref _state.Value, (long)g << 32); // full fence: publishes the job
            if (Volatile.Read(ref _sleepers) > 0)
            {
                lock (_gate)
                {
                    Monitor.PulseAll(_gate);
                }
            }

            long started = Stopwatch.GetTimestamp();
            int mine = Drain(g, 0);
            long drained = Stopwatch.GetTimestamp();
            WaitUntilDone(items);
            NoteWait(started, drained, mine, Stopwatch.GetTimestamp());
            Exception? error = _failure;
            if (error is not null)
            {
                _failure = null;
                ExceptionDispatchInfo.Throw(error);
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>How long jobs run on the caller alone once workers keep being found preempted mid-chunk.</summary>
    public const int SoloMilliseconds = 100;

    /// <summary>Whether repeated worker stalls send jobs to the caller alone (tests that need the workers turn it off).</summary>
    internal bool Adaptive { get; set; } = true;

    /// <summary>Whether jobs currently run on the caller alone (see the class remarks).</summary>
    public bool IsSolo => Adaptive && Stopwatch.GetTimestamp() < Volatile.Read(ref _soloUntil);

    /// <summary>Stops and joins the worker threads.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }

        foreach (Thread t in _workers)
        {
            t.Join();
        }
    }

    /// <summary>
    /// Claims and runs chunks of generation <paramref name="g"/> until none are left. The job is read from its slot
    /// before each claim; a successful claim proves the slot still held generation g's job when it was read.
    /// After a failure the remaining chunks are claimed and counted without running.
    /// </summary>
    private int Drain(uint g, int thread)
    {
        ref Job job = ref _jobs[g & 1];
        int chunks = 0;
        while (true)
        {
            long s = Volatile.Read(ref _state.Value);
            if ((uint)(s >> 32) != g)
            {
                return chunks; // a newer job: ours is long finished
            }

            int start = (int)s;
            int n = job.Count, c = job.Chunk;
            var body = job.Body;
            void* context = job.Context;
            if (start >= n)
            {
                return chunks;
            }

            int end = Math.Min(n, start + c);
            if (Interlocked.CompareExchange(ref _state.Value, ((long)g << 32) | (uint)end, s) != s)
            {
                continue;
            }

            if (!_failed)
            {
                try
                {
                    body(context, start, end, thread);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                    _failed = true;
                }
            }

            Interlocked.Add(ref _done.Value, end - start);
            chunks++;
        }
    }

    /// <summary>
    /// After a job: the caller ran <paramref name="mine"/> chunks from <paramref name="started"/> to
    /// <paramref name="drained"/>, then waited until <paramref name="finished"/> for chunks workers had claimed. A running
    /// worker finishes its last chunk within about one chunk's time; a wait four times longer (and over 0.5 ms) is a
    /// stall, and the third stall within 100 ms sends jobs to the caller alone.
    /// </summary>
    private void NoteWait(long started, long drained, int mine, long finished)
    {
        long waited = finished - drained;
        long perChunk = mine > 0 ? (drained - started) / mine : drained - started;
        if (waited <= (4 * perChunk) + (Stopwatch.Frequency / 2_000))
        {
            return;
        }

        if (finished - _stall2 < Stopwatch.Frequency / 10)
        {
            Volatile.Write(ref _soloUntil, finished + (Stopwatch.Frequency * SoloMilliseconds / 1000));
        }

        _stall2 = _stall1;
        _stall1 = finished;
    }

    private void WaitUntilDone(int items)
    {
        int spins = 0;
        while (Volatile.Read(ref _done.Value) != items)
        {
            Thread.SpinWait(1);
            if ((++spins & 1023) == 0)
            {
                Thread.Yield(); // a worker holding a claimed chunk may be preempted on a _busy machine
            }
        }
    }

    private void WorkerLoop(int thread)
    {
        uint seen = 0;
        while (true)
        {
            uint g = WaitForGeneration(seen);
            if (_disposed)
            {
                return;
            }

            seen = g;
            Drain(g, thread);
        }
    }

    /// <summary>Spins up to ~200 µs for a generation newer than <paramref name="seen"/>, then parks.</summary>
    private uint WaitForGeneration(uint seen)
    {
        long deadline = Stopwatch.GetTimestamp() + _spinTicks;
        int spins = 0;
        uint g;
        while ((g = (uint)(Volatile.Read(ref _state.Value) >> 32)) == seen && !_disposed)
        {
            Thread.SpinWait(1);
            if ((++spins & 63) == 0 && Stopwatch.GetTimestamp() > deadline)
            {
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers); // full fence, then re-check under the lock
                    while ((uint)(Volatile.Read(ref _state.Value) >> 32) == seen && !_disposed)
                    {
                        Monitor.Wait(_gate);
                    }

                    Interlocked.Decrement(ref _sleepers);
                }
            }
        }

        return g;
    }

    private struct Job
    {
        public delegate*<void*, int, int, int, void> Body;
        public void* Context;
        public int Count;
        public int Chunk;
    }

    /// <summary>A long alone on a 128-byte span (no false sharing with its neighbours).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Padded
    {
        [FieldOffset(64)]
        public long Value;
    }
}
