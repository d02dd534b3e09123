using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Threading;

namespace EdgeLlm.Kernels.Tests.Threading;

public unsafe class WorkerPoolTests
{
    [TestCase(1, 1000, 1)]
    [TestCase(2, 1000, 7)]
    [TestCase(2, 5, 1)]
    [TestCase(3, 10_000, 64)]
    [TestCase(4, 1, 1)]
    [TestCase(2, 577, 16)]
    public void EveryItemRunsExactlyOnce(int threads, int items, int chunk)
    {
        using var pool = new WorkerPool(threads);
        int[] hits = new int[items];
        fixed (int* p = hits)
        {
            for (int round = 0; round < 50; round++)
            {
                pool.Run(items, chunk, &Count, p);
            }
        }

        Assert.That(hits, Is.All.EqualTo(50));
        Assert.That(pool.Threads, Is.EqualTo(threads));
    }

    [Test]
    public void ManySmallJobsBackToBackAndAfterParking()
    {
        using var pool = new WorkerPool(3);
        int[] hits = new int[64];
        fixed (int* p = hits)
        {
            for (int round = 0; round < 20_000; round++)
            {
                pool.Run(64, 4, &Count, p);
            }

            Thread.Sleep(20); // longer than the spin budget: workers park
            pool.Run(64, 4, &Count, p);
            Thread.Sleep(20);
            pool.Run(64, 4, &Count, p);
        }

        Assert.That(hits, Is.All.EqualTo(20_002));
    }

    /// <summary>
    /// Back-to-back jobs with different bodies, contexts, sizes and chunks: a worker that wakes late must never run
    /// a chunk of a finished job with the next job's fields (claims are checked against the job's generation).
    /// </summary>
    [Test]
    public void BackToBackDifferentJobsNeverMix()
    {
        using var pool = new WorkerPool(3);
        int[] a = new int[97], b = new int[300];
        fixed (int* pa = a, pb = b)
        {
            for (int round = 0; round < 20_000; round++)
            {
                pool.Run(a.Length, 1 + (round % 5), &Count, pa);
                pool.Run(b.Length, 7 + (round % 11), &CountTwice, pb);
            }
        }

        Assert.That(a, Is.All.EqualTo(20_000));
        Assert.That(b, Is.All.EqualTo(40_000));
    }

    [Test]
    public void WorkIsSharedAcrossThreads()
    {
        using var pool = new WorkerPool(2) { Adaptive = false };
        var seen = new ThreadRecord { Caller = Environment.CurrentManagedThreadId };
        for (int attempt = 0; attempt < 200 && seen.Others == 0; attempt++)
        {
            pool.Run(64, 1, &RecordThread, &seen);
        }

        Assert.That(seen.Others, Is.GreaterThan(0), "no chunk ever ran on a worker thread");
    }

    [Test]
    public void ExceptionOnAWorkerSurfacesToTheCallerAndThePoolSurvives()
    {
        using var pool = new WorkerPool(2) { Adaptive = false };
        ThrowState* state = stackalloc ThrowState[1];
        state->Caller = Environment.CurrentManagedThreadId;
        state->WorkerThrew = 0;
        var e = Assert.Throws<InvalidOperationException>(() => RunThrowing(pool, state));
        Assert.That(e!.Message, Does.Contain("worker boom"));
        Assert.That(state->WorkerThrew, Is.EqualTo(1), "the exception came from a worker thread");

        int[] hits = new int[100];
        fixed (int* p = hits)
        {
            pool.Run(100, 3, &Count, p);
        }

        Assert.That(hits, Is.All.EqualTo(1));
    }

    [Test]
    public void ExceptionOnTheCallerWaitsForWorkersThenSurfaces()
    {
        using var pool = new WorkerPool(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Run(50, 1, &ThrowOnItem7, null));
        int[] hits = new int[10];
        fixed (int* p = hits)
        {
            pool.Run(10, 1, &Count, p);
        }

        Assert.That(hits, Is.All.EqualTo(1));
    }

    [Test]
    public void DisposeStopsTheWorkers()
    {
        var pool = new WorkerPool(4);
        int[] hits = new int[8];
        fixed (int* p = hits)
        {
            pool.Run(8, 1, &Count, p);
        }

        pool.Dispose(); // joins every worker; returning proves they stopped
        pool.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => pool.Run(8, 1, &Count, null));
    }

    /// <summary>
    /// Workers that keep stalling in the middle of claimed chunks (as when another process takes their core) make the
    /// caller wait far longer than its own chunks took: after the third such wait within 100 ms the pool runs jobs on
    /// the caller alone, every item still exactly once, and tries the workers again after
    /// <see cref="WorkerPool.SoloMilliseconds"/>. One stall alone changes nothing.
    /// </summary>
    [Test]
    public void RepeatedWorkerStallsSendJobsToTheCallerForAWhile()
    {
        using var pool = new WorkerPool(2);
        var rec = new ThreadRecord { Caller = Environment.CurrentManagedThreadId };
        int stalls = 0;
        for (int attempt = 0; attempt < 200 && !pool.IsSolo; attempt++)
        {
            int before = rec.Others;
            pool.Run(64, 1, &StallOnWorker, &rec);
            stalls += rec.Others > before ? 1 : 0;
            if (stalls == 1)
            {
                Assert.That(pool.IsSolo, Is.False, "one stall sent the pool solo");
            }
        }

        Assert.That(pool.IsSolo, Is.True, "repeated 20 ms stalls on a worker did not send jobs to the caller");
        Assert.That(stalls, Is.GreaterThanOrEqualTo(3));

        int others = rec.Others;
        int[] hits = new int[64];
        fixed (int* p = hits)
        {
            pool.Run(64, 1, &StallOnWorker, &rec);
            pool.Run(64, 1, &Count, p);
        }

        Assert.That(rec.Others, Is.EqualTo(others), "a job ran on a worker while the pool was solo");
        Assert.That(hits, Is.All.EqualTo(1));

        Thread.Sleep(WorkerPool.SoloMilliseconds + 50);
        Assert.That(pool.IsSolo, Is.False, "the pool did not try its workers again");
    }

    [Test]
    public void RunDoesNotAllocate()
    {
        using var pool = new WorkerPool(2);
        int[] hits = new int[256];
        fixed (int* p = hits)
        {
            for (int i = 0; i < 100; i++)
            {
                pool.Run(256, 16, &Count, p);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                pool.Run(256, 16, &Count, p);
            }

            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        }
    }

    [Test]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new WorkerPool(0));
        using var pool = new WorkerPool(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Run(-1, 1, &Count, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Run(1, 0, &Count, null));
    }

    /// <summary>
    /// The thread index handed to each chunk: 0 on the caller, 1..Threads-1 on the workers, and one index never on two
    /// threads (jobs use it to pick their scratch memory, so a shared index would corrupt it).
    /// </summary>
    [Test]
    public void EveryChunkKnowsItsThreadIndex()
    {
        const int threads = 3;
        using var pool = new WorkerPool(threads) { Adaptive = false };
        var rec = new IndexRecord { Caller = Environment.CurrentManagedThreadId };
        // A busy machine may keep a worker (or the caller, while the workers take every chunk) off a core for a while.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((rec.Owner0 == 0 || rec.Owner1 == 0 || rec.Owner2 == 0) && DateTime.UtcNow < deadline)
        {
            pool.Run(64, 1, &RecordIndex, &rec);
        }

        Assert.That(rec.Bad, Is.Zero, $"{rec.Bad} chunks saw an index out of range, one index on two threads, or the caller not on 0");
        Assert.That(rec.Owner0, Is.EqualTo(rec.Caller));
        Assert.That(rec.Owner1, Is.Not.Zero.And.Not.EqualTo(rec.Caller), "index 1 never ran on a worker");
        Assert.That(rec.Owner2, Is.Not.Zero.And.Not.EqualTo(rec.Caller).And.Not.EqualTo(rec.Owner1), "index 2 never ran on its own worker");
    }

    private static void RunThrowing(WorkerPool pool, ThrowState* state) => pool.Run(2, 1, &ThrowOnWorker, state);

    private static void Count(void* context, int start, int end, int thread)
    {
        int* hits = (int*)context;
        for (int i = start; i < end; i++)
        {
            Interlocked.Increment(ref hits[i]);
        }
    }

    private static void CountTwice(void* context, int start, int end, int thread)
    {
        int* hits = (int*)context;
        for (int i = start; i < end; i++)
        {
            Interlocked.Add(ref hits[i], 2);
        }
    }

    private static void RecordThread(void* context, int start, int end, int thread)
    {
        var rec = (ThreadRecord*)context;
        if (Environment.CurrentManagedThreadId != rec->Caller)
        {
            Interlocked.Increment(ref rec->Others);
        }

        Thread.SpinWait(2000);
    }

    /// <summary>A chunk on a worker thread takes 20 ms (a preempted worker); the caller's take a few microseconds, long
    /// enough for a waking worker to claim one.</summary>
    private static void StallOnWorker(void* context, int start, int end, int thread)
    {
        var rec = (ThreadRecord*)context;
        if (Environment.CurrentManagedThreadId != rec->Caller)
        {
            Interlocked.Increment(ref rec->Others);
            Thread.Sleep(20);
        }
        else
        {
            Thread.SpinWait(2000);
        }
    }

    /// <summary>The caller holds its first chunk until a worker has claimed the other one and thrown.</summary>
    private static void ThrowOnWorker(void* context, int start, int end, int thread)
    {
        var s = (ThrowState*)context;
        if (Environment.CurrentManagedThreadId == s->Caller)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Volatile.Read(ref s->WorkerThrew) == 0 && DateTime.UtcNow < deadline)
            {
                Thread.SpinWait(100);
            }

            return;
        }

        Volatile.Write(ref s->WorkerThrew, 1);
        throw new InvalidOperationException("worker boom");
    }

    private static void ThrowOnItem7(void* context, int start, int end, int thread)
    {
        if (start <= 7 && 7 < end)
        {
            throw new ArgumentOutOfRangeException(nameof(start), "item 7");
        }
    }

    private static void RecordIndex(void* context, int start, int end, int thread)
    {
        var rec = (IndexRecord*)context;
        int me = Environment.CurrentManagedThreadId;
        if ((uint)thread > 2 || (thread == 0) != (me == rec->Caller))
        {
            Interlocked.Increment(ref rec->Bad);
            return;
        }

        ref int owner = ref thread == 0 ? ref rec->Owner0 : ref thread == 1 ? ref rec->Owner1 : ref rec->Owner2;
        int seen = Interlocked.CompareExchange(ref owner, me, 0);
        if (seen != 0 && seen != me)
        {
            Interlocked.Increment(ref rec->Bad);
        }

        Thread.SpinWait(2000);
    }

    private struct IndexRecord
    {
        public int Caller;
        public int Owner0;
        public int Owner1;
        public int Owner2;
        public int Bad;
    }

    private struct ThreadRecord
    {
        public int Caller;
        public int Others;
    }

    private struct ThrowState
    {
        public int Caller;
        public int WorkerThrew;
    }
}
