using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Threading;

namespace EdgeLlm.Kernels.Quant;

/// <summary>Matrix × vector over a <see cref="WorkerPool"/>: y[r] = W[r,:] · x for every row.</summary>
public static unsafe class MatVec
{
    /// <summary>
    /// y[r] = W[r,:] · x with the pool's kernel path. F32/F16 weights use the float <paramref name="x"/>;
    /// Q8_0/Q4_0 weights use <paramref name="xq"/> (quantized from x by the caller; x may then be empty).
    /// Blocks until done; allocates nothing.
    /// </summary>
    public static void Multiply(in WeightMatrix w, ReadOnlySpan<float> x, Q8Activations? xq, Span<float> y, WorkerPool pool) =>
        Multiply(w, x, xq, y, pool, pool.Path);

    /// <summary>As <see cref="Multiply(in WeightMatrix, ReadOnlySpan{float}, Q8Activations?, Span{float}, WorkerPool)"/> on an explicit path.</summary>
    public static void Multiply(in WeightMatrix w, ReadOnlySpan<float> x, Q8Activations? xq, Span<float> y, WorkerPool pool, KernelPath path)
    {
        ArgumentNullException.ThrowIfNull(pool);
        Check(w, x, xq, y, path);
        fixed (float* px = x, py = y)
        {
            MatVecArgs a = Args(w, px, xq, py, path);
            pool.Run(w.Rows, ChunkRows(w.Rows, pool.Threads), &Body, &a);
        }
    }

    /// <summary>Rows per work item: a multiple of 4 (the tile height), about 4 items per thread.</summary>
    internal static int ChunkRows(int rows, int threads)
    {
        if (threads <= 1)
        {
            return rows;
        }

        int chunk = (rows + (threads * 4) - 1) / (threads * 4);
        return Math.Max(16, (chunk + 3) & ~3);
    }

    /// <summary>Runs rows [r0, r1) on one thread and records every per-block int32 sum (tests).</summary>
    internal static void RowsWithBlockSums(in WeightMatrix w, Q8Activations xq, Span<float> y, KernelPath path, int r0, int r1, Span<int> sums)
    {
        Check(w, default, xq, y, path);
        int nb = w.Cols / 32;
        if (sums.Length < (long)w.Rows * nb)
        {
            throw new ArgumentException("sums too short", nameof(sums));
        }

        fixed (float* py = y)
        fixed (int* ps = sums)
        {
            MatVecArgs a = Args(w, null, xq, py, path);
            Dispatch(a, r0, r1, new RecordSink { Sums = ps, Blocks = nb });
        }
    }

    private static void Check(in WeightMatrix w, ReadOnlySpan<float> x, Q8Activations? xq, Span<float> y, KernelPath path)
    {
        if (!KernelSelector.IsSupported(path))
        {
            throw new NotSupportedException(KernelSelector.WhyNotSupported(path));
        }

        if (y.Length < w.Rows)
        {
            throw new ArgumentException($"y has {y.Length} elements, the matrix {w.Rows} rows", nameof(y));
        }

        if (w.Type is GgmlType.Q8_0 or GgmlType.Q4_0)
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

    private static MatVecArgs Args(in WeightMatrix w, float* x, Q8Activations? xq, float* y, KernelPath path) => new()
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
        Path = path,
    };

    private static void Body(void* context, int r0, int r1) => Dispatch(*(MatVecArgs*)context, r0, r1, default(NoSink));

    private static void Dispatch<TSink>(in MatVecArgs a, int r0, int r1, TSink sink)
        where TSink : struct, IBlockSink
    {
        switch (a.Type)
        {
            case GgmlType.Q8_0:
                switch (a.Path)
                {
                    case KernelPath.Avx2: X86Kernels.Q8_0<Avx2Dot, TSink>(a, r0, r1, sink); break;
                    case KernelPath.AvxVnni: X86Kernels.Q8_0<VnniDot, TSink>(a, r0, r1, sink); break;
                    case KernelPath.AdvSimd: ArmKernels.Q8_0<AdvSimdDot, TSink>(a, r0, r1, sink); break;
                    case KernelPath.ArmDotProd: ArmKernels.Q8_0<SdotDot, TSink>(a, r0, r1, sink); break;
                    default: ScalarKernels.Q8_0(a, r0, r1, sink); break;
                }

                break;
            case GgmlType.Q4_0:
                switch (a.Path)
                {
                    case KernelPath.Avx2: X86Kernels.Q4_0<Avx2Dot, TSink>(a, r0, r1, sink); break;
                    case KernelPath.AvxVnni: X86Kernels.Q4_0<VnniDot, TSink>(a, r0, r1, sink); break;
                    case KernelPath.AdvSimd: ArmKernels.Q4_0<AdvSimdDot, TSink>(a, r0, r1, sink); break;
                    case KernelPath.ArmDotProd: ArmKernels.Q4_0<SdotDot, TSink>(a, r0, r1, sink); break;
                    default: ScalarKernels.Q4_0(a, r0, r1, sink); break;
                }

                break;
            case GgmlType.F32:
                if (a.Path == KernelPath.Scalar)
                {
                    ScalarKernels.F32(a, r0, r1);
                }
                else
                {
                    FloatKernels.F32(a, r0, r1);
                }

                break;
            case GgmlType.F16:
                if (a.Path == KernelPath.Scalar)
                {
                    ScalarKernels.F16(a, r0, r1);
                }
                else
                {
                    FloatKernels.F16(a, r0, r1);
                }

                break;
            default:
                throw new NotSupportedException($"tensor type {a.Type} is not supported");
        }
    }
}
