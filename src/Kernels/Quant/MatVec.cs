using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Threading;

namespace EdgeLlm.Kernels.Quant;

/// <summary>Matrix × vector over a <see cref="WorkerPool"/> with the kernels of a <see cref="KernelTable"/>: y[r] = W[r,:] · x for every row.</summary>
internal static unsafe class MatVec
{
    /// <summary>
    /// y[r] = W[r,:] · x with the kernels of <paramref name="k"/>. F32/F16 weights use the float <paramref name="x"/>;
    /// Q8_0/Q4_0 weights use <paramref name="xq"/> (quantized from x by the caller; x may then be empty).
    /// Blocks until done; allocates nothing.
    /// </summary>
    public static void Multiply(in WeightMatrix w, ReadOnlySpan<float> x, Q8Activations? xq, Span<float> y, WorkerPool pool, KernelTable k)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(k);
        Check(w, x, xq, y);
        fixed (float* px = x, py = y)
        {
            MatVecArgs a = Args(w, px, xq, py, k);
            pool.Run(w.Rows, ChunkRows(w.Rows, pool.Threads), &Body, &a);
        }

        GC.KeepAlive(xq); // the kernels read its pinned arrays through raw pointers: it must outlive them
    }

    /// <summary>
    /// Up to three matrices that read the same input, in one pool dispatch (Q, K and V; gate and up): their rows are
    /// numbered one after the other and every chunk is cut at the matrix boundaries, so each output row is computed
    /// by exactly the same kernel call sequence as <see cref="Multiply"/>.
    /// With <paramref name="tokens"/> &gt; 1 it is a matrix × matrix product over a batch of inputs (prefill): token t
    /// reads row t of <paramref name="xq"/> (or <paramref name="x"/> + t·<paramref name="xStride"/>) and writes
    /// y + t·<paramref name="yStride"/>; every output is bit-identical to the single-token product.
    /// Pointers must stay valid (pinned) for the call; unused matrices are default. Allocates nothing.
    /// </summary>
    internal static void MultiplyFused(
        WorkerPool pool,
        KernelTable k,
        float* x,
        int xStride,
        Q8Activations? xq,
        int tokens,
        int yStride,
        in WeightMatrix m0,
        float* y0,
        in WeightMatrix m1 = default,
        float* y1 = null,
        in WeightMatrix m2 = default,
        float* y2 = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(k);
        FusedArgs f = default;
        f.Parts = 0;
        Add(ref f, m0, x, xStride, xq, tokens, y0, yStride, k);
        if (m1.Data != null)
        {
            Add(ref f, m1, x, xStride, xq, tokens, y1, yStride, k);
        }

        if (m2.Data != null)
        {
            Add(ref f, m2, x, xStride, xq, tokens, y2, yStride, k);
        }

        // Tiles that multiply int16 get the batch widened once here rather than once per chunk and thread.
        if (tokens > 1 && k.WidenQ8 != null && (ReadsInt16(m0.Type) || ReadsInt16(m1.Type) || ReadsInt16(m2.Type)))
        {
            short* x16 = xq!.Wide16;
            k.WidenQ8(xq.Qs, x16, xq.Length, xq.Capacity, tokens);
            f.A0.X16 = f.A1.X16 = f.A2.X16 = x16;
        }

        int rows = f.End2 > 0 ? f.End2 : f.End1 > 0 ? f.End1 : f.End0;
        int chunk = tokens > 1 ? ChunkRowsBatch(rows, pool.Threads) : ChunkRows(rows, pool.Threads);
        pool.Run(rows, chunk, &FusedBody, &f);
        GC.KeepAlive(xq); // as in Multiply
    }

    /// <summary>Whether the type's prefill tile reads <see cref="MatVecArgs.X16"/> where the table widens (<see cref="KernelTable.WidenQ8"/>).</summary>
    private static bool ReadsInt16(GgmlType type) => type is GgmlType.Q8_0 or GgmlType.Q8_0_R8;

    private static void Add(ref FusedArgs f, in WeightMatrix m, float* x, int xStride, Q8Activations? xq, int tokens, float* y, int yStride, KernelTable k)
    {
        if (y == null)
        {
            throw new ArgumentNullException(nameof(y));
        }

        bool quantized = GgmlTypeInfo.IsQuantized(m.Type);
        if (quantized && (xq is null || xq.Length != m.Cols || xq.Rows < tokens))
        {
            throw new ArgumentException($"the quantized activations do not hold {tokens} inputs of {m.Cols} values", nameof(xq));
        }

        if (!quantized && (x == null || xStride < m.Cols))
        {
            throw new ArgumentException($"float input of {m.Cols} values per token needed", nameof(x));
        }

        if (yStride < m.Rows && tokens > 1)
        {
            throw new ArgumentException($"output stride {yStride} is shorter than {m.Rows} rows", nameof(yStride));
        }

        MatVecArgs a = Args(m, x, quantized ? xq : null, y, k);
        a.Tokens = tokens;
        a.XStride = quantized ? xq!.Capacity : xStride;
        a.XBlockStride = quantized ? xq!.Capacity / 32 : 0;
        a.YStride = yStride;
        switch (f.Parts++)
        {
            case 0: f.A0 = a; f.End0 = m.Rows; break;
            case 1: f.A1 = a; f.End1 = f.End0 + m.Rows; break;
            default: f.A2 = a; f.End2 = f.End1 + m.Rows; break;
        }
    }

    private static void FusedBody(void* context, int r0, int r1, int thread)
    {
        var f = (FusedArgs*)context;
        Part(f->A0, 0, f->End0, r0, r1);
        if (f->Parts > 1)
        {
            Part(f->A1, f->End0, f->End1, r0, r1);
        }

        if (f->Parts > 2)
        {
            Part(f->A2, f->End1, f->End2, r0, r1);
        }
    }

    private static void Part(in MatVecArgs a, int start, int end, int r0, int r1)
    {
        int lo = Math.Max(start, r0), hi = Math.Min(end, r1);
        if (lo < hi)
        {
            DispatchBatch(a, lo - start, hi - start);
        }
    }

    /// <summary>Rows [r0, r1) for every token of the batch: the path's prefill tiles for quantized weights, else token by token.</summary>
    private static void DispatchBatch(in MatVecArgs a, int r0, int r1)
    {
        if (a.Tokens == 1)
        {
            Dispatch(a, r0, r1);
            return;
        }

        if (a.Gemm != null)
        {
            a.Gemm(a, r0, r1);
            return;
        }

        // Float weights: the matrix × vector kernel per token over rows small enough to stay in cache.
        for (int rr = r0; rr < r1; rr += 16)
        {
            int re = Math.Min(r1, rr + 16);
            for (int t = 0; t < a.Tokens; t++)
            {
                Dispatch(a.ForToken(t), rr, re);
            }
        }
    }

    /// <summary>Batched rows per work item: 16-row multiples, about 8 items per thread (compute-bound, finer balance).</summary>
    internal static int ChunkRowsBatch(int rows, int threads)
    {
        if (threads <= 1)
        {
            return rows;
        }

        int chunk = (rows + (threads * 8) - 1) / (threads * 8);
        return Math.Max(16, (chunk + 15) & ~15);
    }

    private struct FusedArgs
    {
        public MatVecArgs A0;
        public MatVecArgs A1;
        public MatVecArgs A2;
        public int End0;
        public int End1;
        public int End2;
        public int Parts;
    }

    /// <summary>
    /// Rows per work item of a matrix × vector: one contiguous share per thread, a multiple of 8 (the tile height), so
    /// each thread streams one run of rows with its prefetch running ahead without a restart. Against four items per
    /// thread, 2-thread decode ran 6 % (125M Q8_0), 1 % (350M Q8_0) and 9 % (125M Q4_0) faster (A/B in one process,
    /// 7 alternating runs of 128 tokens, medians). A late worker still costs nothing: the caller claims its share too.
    /// </summary>
    internal static int ChunkRows(int rows, int threads)
    {
        if (threads <= 1)
        {
            return rows;
        }

        int chunk = (rows + threads - 1) / threads;
        return Math.Max(16, (chunk + 7) & ~7);
    }

    /// <summary>Runs rows [r0, r1) of quantized weights on one thread and records every per-block int32 sum (tests).</summary>
    internal static void RowsWithBlockSums(in WeightMatrix w, Q8Activations xq, Span<float> y, KernelTable k, int r0, int r1, Span<int> sums)
    {
        Check(w, default, xq, y);
        if (!GgmlTypeInfo.IsQuantized(w.Type))
        {
            throw new ArgumentException("block sums exist for quantized weights only", nameof(w));
        }

        int nb = w.Cols / 32;
        if (sums.Length < (long)w.Rows * nb)
        {
            throw new ArgumentException("sums too short", nameof(sums));
        }

        fixed (float* py = y)
        fixed (int* ps = sums)
        {
            MatVecArgs a = Args(w, null, xq, py, k);
            var sink = new RecordSink { Sums = ps, Blocks = nb };
            var kernel = w.Type switch
            {
                GgmlType.Q8_0 => k.SumsQ8_0,
                GgmlType.Q4_0 => k.SumsQ4_0,
                GgmlType.Q8_0_R8 => k.SumsQ8_0R8,
                _ => k.SumsQ4_0R8,
            };
            kernel(a, r0, r1, sink);
        }

        GC.KeepAlive(xq); // as in Multiply
    }

    private static void Check(in WeightMatrix w, ReadOnlySpan<float> x, Q8Activations? xq, Span<float> y)
    {
        if (y.Length < w.Rows)
        {
            throw new ArgumentException($"y has {y.Length} elements, the matrix {w.Rows} rows", nameof(y));
        }

        if (GgmlTypeInfo.IsQuantized(w.Type))
        {
            ArgumentNullException.ThrowIfNull(xq);
            if (xq.Length != w.Cols)
            {
                throw new ArgumentException($"quantized activations hold {xq.Length} values, the matrix has {w.Cols} columns", nameof(xq));
            }
        }
        else if (x.Length != w.Cols)
        {
            throw new ArgumentException($"x has {x.Length} elements, the matrix {w.Cols} columns", nameof(x));
        }
    }

    private static MatVecArgs Args(in WeightMatrix w, float* x, Q8Activations? xq, float* y, KernelTable k) => new()
    {
        W = w.Data,
        RowBytes = w.RowBytes,
        Cols = w.Cols,
        Blocks = w.Cols / 32,
        X = x,
        Xq = xq is null ? null : xq.Qs,
        Xd = xq is null ? null : xq.Scales,
        Xs = xq is null ? null : xq.Sums,
        Y = y,
        Type = w.Type,
        Quantized = w.Type switch
        {
            GgmlType.Q8_0 => k.MatVecQ8_0,
            GgmlType.Q4_0 => k.MatVecQ4_0,
            GgmlType.Q8_0_R8 => k.MatVecQ8_0R8,
            GgmlType.Q4_0_R8 => k.MatVecQ4_0R8,
            _ => null,
        },
        Float = w.Type switch
        {
            GgmlType.F32 => k.MatVecF32,
            GgmlType.F16 => k.MatVecF16,
            _ => null,
        },
        Gemm = w.Type switch
        {
            GgmlType.Q8_0 => k.GemmQ8_0,
            GgmlType.Q4_0 => k.GemmQ4_0,
            GgmlType.Q8_0_R8 => k.GemmQ8_0R8,
            GgmlType.Q4_0_R8 => k.GemmQ4_0R8,
            _ => null,
        },
        Tokens = 1,
        XStride = w.Cols,
        XBlockStride = w.Cols / 32,
        YStride = w.Rows,
    };

    private static void Body(void* context, int r0, int r1, int thread) => Dispatch(*(MatVecArgs*)context, r0, r1);

    private static void Dispatch(in MatVecArgs a, int r0, int r1)
    {
        if (a.Quantized != null)
        {
            a.Quantized(a, r0, r1, default);
        }
        else
        {
            a.Float(a, r0, r1);
        }
    }
}
