using System.Diagnostics;
using System.Runtime.ExceptionServices;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Threading;

/// <summary>
/// Persistent compute threads: <see cref="Threads"/> − 1 workers plus the calling thread. A call to
/// <see cref="Run"/> publishes a job by bumping a generation counter; workers spin briefly on it, then park on a
/// monitor. Items are claimed in chunks with <see cref="Interlocked.Add(ref int, int)"/>, so a slow or preempted core
/// simply claims fewer. The caller works too and returns when every worker has finished; an exception thrown on
/// any thread is rethrown to the caller. Nothing is allocated per call. One <see cref="Run"/> at a time.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
    private readonly Thread[] workers;
    private readonly object gate = new();
    private readonly long spinTicks;

    // the published job (written by the caller before the generation bump, read by workers after seeing it)
    private delegate*<void*, int, int, void> body;
    private void* context;
    private int count;
    private int chunk;

    private int next;          // next unclaimed item
    private int pending;       // workers still busy with the current generation
    private long generation;   // bumped once per job
    private int sleepers;      // workers parked on the monitor
    private int busy;          // 1 while a Run is in progress
    private volatile bool disposed;
    private Exception? failure;

    /// <summary>A pool of <paramref name="threads"/> threads (the caller counts as one) running kernels on <paramref name="path"/> (default: the best for this CPU).</summary>
    public WorkerPool(int threads, KernelPath? path = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        KernelPath p = path ?? KernelSelector.Best;
        if (!KernelSelector.IsSupported(p))
        {
            throw new NotSupportedException(KernelSelector.WhyNotSupported(p));
        }

        Threads = threads;
        Path = p;
        spinTicks = Stopwatch.Frequency / 10_000; // ~100 µs of spinning before parking
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = new Thread(WorkerLoop)
            {
                IsBackground = true,
                Name = $"edgellm-worker-{i + 1}",
            };
            workers[i].Start();
        }
    }

    /// <summary>Threads doing the work, including the caller of <see cref="Run"/>.</summary>
    public int Threads { get; }

    /// <summary>The kernel path used by <see cref="MatVec"/> calls on this pool.</summary>
    public KernelPath Path { get; }

    /// <summary>
    /// Calls <paramref name="work"/>(context, start, end) over [0, <paramref name="items"/>) in pieces of
    /// <paramref name="chunkSize"/> on all threads; blocks until every piece is done. <paramref name="context"/> must
    /// stay valid (e.g. a struct on the caller's stack) until this returns.
    /// </summary>
    public void Run(int items, int chunkSize, delegate*<void*, int, int, void> work, void* context)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
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

        if (workers.Length == 0 || chunkSize >= items)
        {
            work(context, 0, items);
            return;
        }

        if (Interlocked.Exchange(ref busy, 1) != 0)
        {
            throw new InvalidOperationException("WorkerPool.Run is not reentrant: one job at a time");
        }

        try
        {
            body = work;
            this.context = context;
            count = items;
            chunk = chunkSize;
            failure = null;
            Volatile.Write(ref next, 0);
            Volatile.Write(ref pending, workers.Length);
            Interlocked.Increment(ref generation); // full fence: publishes the job
            if (Volatile.Read(ref sleepers) > 0)
            {
                lock (gate)
                {
                    Monitor.PulseAll(gate);
                }
            }

            Drain();
            WaitForWorkers();
            Exception? error = failure;
            if (error is not null)
            {
                failure = null;
                ExceptionDispatchInfo.Throw(error);
            }
        }
        finally
        {
            body = null;
            this.context = null;
            Volatile.Write(ref busy, 0);
        }
    }

    /// <summary>Stops and joins the worker threads.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        lock (gate)
        {
            Monitor.PulseAll(gate);
        }

        foreach (Thread t in workers)
        {
            t.Join();
        }
    }

    /// <summary>Claims and runs chunks until none are left; records the first exception.</summary>
    private void Drain()
    {
        try
        {
            int n = count;
            int c = chunk;
            while (true)
            {
                int start = Interlocked.Add(ref next, c) - c;
                if (start >= n)
                {
                    break;
                }

                body(context, start, Math.Min(n, start + c));
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref failure, e, null);
            Volatile.Write(ref next, int.MaxValue / 2); // stop others claiming more
        }
    }

    private void WaitForWorkers()
    {
        int spins = 0;
        while (Volatile.Read(ref pending) != 0)
        {
            Thread.SpinWait(1);
            if ((++spins & 1023) == 0)
            {
                Thread.Yield(); // a worker may be preempted on a busy machine
            }
        }
    }

    private void WorkerLoop()
    {
        long seen = 0;
        while (true)
        {
            long g = WaitForGeneration(seen);
            if (disposed)
            {
                return;
            }

            seen = g;
            Drain();
            Interlocked.Decrement(ref pending);
        }
    }

    /// <summary>Spins up to ~100 µs for a generation newer than <paramref name="seen"/>, then parks.</summary>
    private long WaitForGeneration(long seen)
    {
        long deadline = Stopwatch.GetTimestamp() + spinTicks;
        int spins = 0;
        long g;
        while ((g = Volatile.Read(ref generation)) == seen && !disposed)
        {
            Thread.SpinWait(1);
            if ((++spins & 63) == 0 && Stopwatch.GetTimestamp() > deadline)
            {
                lock (gate)
                {
                    Interlocked.Increment(ref sleepers); // full fence, then re-check under the lock
                    while (Volatile.Read(ref generation) == seen && !disposed)
                    {
                        Monitor.Wait(gate);
                    }

                    Interlocked.Decrement(ref sleepers);
                }
            }
        }

        return g;
    }
}
