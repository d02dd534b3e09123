using System.Runtime.CompilerServices;
#if NET
using System.Runtime.Intrinsics;
#endif

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// An activation vector quantized to Q8_0 blocks for the fixed-point matvec, quantized once per input vector and
/// shared by every matrix that multiplies it (e.g. Q, K and V).
/// Numerics follow ggml's x86 SIMD <c>quantize_row_q8_0</c>: per block amax = max |x|, d = amax / 127 stored as
/// f16 (the kernels use that f16-rounded d), id = amax != 0 ? 127 / amax : 0, q = round-half-even(x * id).
/// (ggml's ARM NEON variant computes id as 1 / d instead, which can differ by one ulp; we use the x86 form on every
/// CPU so that results do not depend on the board.)
/// Layout: 64-byte aligned int8 values (32 per block, contiguous), a float scale per block and the int sum of
/// each block's values (used by the Q4_0 kernels: Σ(n - 8)·x = Σ n·x − 8·Σx).
/// </summary>
internal sealed unsafe class Q8Activations
{
    private readonly sbyte[] _qsStore;
    private readonly float[] _scaleStore;
    private readonly int[] _sumStore;
    private readonly sbyte* _qs;
    private readonly float* _scales;
    private readonly int* _sums;
    private short[]? _wideStore;

    /// <summary>Room for <paramref name="capacity"/> values (a multiple of 32).</summary>
    public Q8Activations(int capacity)
        : this(capacity, 1)
    {
    }

    /// <summary>
    /// Room for <paramref name="rows"/> vectors of up to <paramref name="capacity"/> values each (prefill: one row per
    /// prompt token), row i at <see cref="Qs"/> + i·<see cref="Capacity"/> and <see cref="Scales"/> + i·Capacity/32.
    /// </summary>
    internal Q8Activations(int capacity, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        if (capacity % Q8_0.BlockSize != 0)
        {
            throw new ArgumentException($"capacity {capacity} is not a multiple of {Q8_0.BlockSize}", nameof(capacity));
        }

        Capacity = capacity;
        Rows = rows;
        int nb = capacity / Q8_0.BlockSize * rows;

        // Pinned-heap arrays never move, so the aligned pointers stay valid for the life of this object.
        _qsStore = GC.AllocateArray<sbyte>((capacity * rows) + 64, pinned: true);
        _scaleStore = GC.AllocateArray<float>(nb, pinned: true);
        _sumStore = GC.AllocateArray<int>(nb, pinned: true);
        byte* raw = (byte*)Unsafe.AsPointer(ref _qsStore[0]);
        _qs = (sbyte*)(((nuint)raw + 63) & ~(nuint)63);
        _scales = (float*)Unsafe.AsPointer(ref _scaleStore[0]);
        _sums = (int*)Unsafe.AsPointer(ref _sumStore[0]);
    }

    /// <summary>Values this buffer can hold (per row).</summary>
    public int Capacity { get; }

    /// <summary>Vectors this buffer can hold (1 unless made for a batch).</summary>
    internal int Rows { get; }

    /// <summary>Values quantized by the last <see cref="Quantize"/> call (0 before the first).</summary>
    public int Length { get; private set; }

    /// <summary>Blocks quantized by the last <see cref="Quantize"/> call.</summary>
    public int Blocks => Length / Q8_0.BlockSize;

    internal sbyte* Qs => _qs;

    internal float* Scales => _scales;

    internal int* Sums => _sums;

    /// <summary>
    /// Room for every row as int16 (<see cref="Rows"/> × <see cref="Capacity"/>, row i at i·Capacity), for prefill
    /// tiles that multiply int16 (<see cref="KernelTable.WidenQ8"/>); allocated, pinned, on first use.
    /// </summary>
    internal short* Wide16
    {
        get
        {
            _wideStore ??= GC.AllocateArray<short>(Capacity * Rows, pinned: true);
            return (short*)Unsafe.AsPointer(ref _wideStore[0]);
        }
    }

    /// <summary>The int8 values of the current vector.</summary>
    public ReadOnlySpan<sbyte> Values => new(_qs, Length);

    /// <summary>The (f16-rounded) scale of each block of the current vector.</summary>
    public ReadOnlySpan<float> Scale => new(_scales, Blocks);

    /// <summary>Σ q over each block of the current vector.</summary>
    public ReadOnlySpan<int> BlockSums => new(_sums, Blocks);

    /// <summary>Quantizes <paramref name="x"/> (a multiple of 32 values, at most <see cref="Capacity"/>) with the scalar reference.</summary>
    public void Quantize(ReadOnlySpan<float> x) => Quantize(x, KernelTable.Reference);

    /// <summary>Quantizes <paramref name="x"/> into row <paramref name="row"/> with the kernels of <paramref name="k"/> (every path gives the same bytes for finite input).</summary>
    public void Quantize(ReadOnlySpan<float> x, KernelTable k, int row = 0)
    {
        if ((uint)row >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row));
        }

        if (x.Length % Q8_0.BlockSize != 0 || x.Length > Capacity)
        {
            throw new ArgumentException($"{x.Length} values: need a multiple of {Q8_0.BlockSize} up to {Capacity}", nameof(x));
        }

        fixed (float* px = x)
        {
            QuantizeRow(View, row, px, x.Length, k.QuantizeBlock);
        }

        Length = x.Length;
    }

    /// <summary>Quantizes <paramref name="x"/> into row <paramref name="row"/> of a batch with the scalar reference (every row of a batch has the same length).</summary>
    public void QuantizeRow(int row, ReadOnlySpan<float> x) => Quantize(x, KernelTable.Reference, row);

    /// <summary>The buffer as raw pointers, for kernels on the worker pool that fill rows of a batch in parallel.</summary>
    internal Q8RowsView View => new(_qs, _scales, _sums, Capacity, Rows);

    /// <summary>
    /// Quantizes row <paramref name="row"/> of <paramref name="v"/> from <paramref name="x"/> (<paramref name="n"/>
    /// values, a multiple of 32) with the block kernel <paramref name="quantize"/> (a <see cref="KernelTable"/>'s). Rows are independent, so threads may fill
    /// different rows at once; the owner then declares the length with <see cref="SetLength"/>.
    /// </summary>
    internal static void QuantizeRow(in Q8RowsView v, int row, float* x, int n, delegate*<float*, sbyte*, float*, int*, void> quantize)
    {
        if ((uint)row >= (uint)v.Rows || n % Q8_0.BlockSize != 0 || n > v.Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(row), $"row {row} of {v.Rows}, {n} values (capacity {v.Capacity})");
        }

        int b0 = row * (v.Capacity / Q8_0.BlockSize);
        for (int b = 0; b < n / Q8_0.BlockSize; b++)
        {
            int i = b0 + b;
            quantize(x + (b * 32), v.Qs + (i * 32), v.Scales + i, v.Sums + i);
        }
    }

    /// <summary>Declares every row quantized by the static <c>QuantizeRow</c> to hold <paramref name="n"/> values.</summary>
    internal void SetLength(int n)
    {
        if (n % Q8_0.BlockSize != 0 || n > Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(n));
        }

        Length = n;
    }

    /// <summary>The reference: one block, 32 values at q, the f16-rounded scale at d, the sum of the values at s.</summary>
    internal static void QuantizeBlockScalar(float* x, sbyte* q, float* d, int* s)
    {
        float amax = 0f;
        for (int j = 0; j < 32; j++)
        {
            amax = MathF.Max(amax, MathF.Abs(x[j]));
        }

        float id = SetScale(d, amax);
        int sum = 0;
        for (int j = 0; j < 32; j++)
        {
            int v = (int)MathF.Round(x[j] * id); // MidpointRounding.ToEven, as _mm256_round_ps(…, NEAREST)
            q[j] = (sbyte)v;
            sum += v;
        }

        *s = sum;
    }

#if NET
    /// <summary>The x86 and arm64 twin with 128-bit vectors (the same max, product and round-half-even per element).</summary>
    internal static void QuantizeBlockSimd(float* x, sbyte* q, float* d, int* s)
    {
        Vector128<float> v0 = Vector128.Load(x), v1 = Vector128.Load(x + 4), v2 = Vector128.Load(x + 8), v3 = Vector128.Load(x + 12);
        Vector128<float> v4 = Vector128.Load(x + 16), v5 = Vector128.Load(x + 20), v6 = Vector128.Load(x + 24), v7 = Vector128.Load(x + 28);
        Vector128<float> m = Vector128.Max(
            Vector128.Max(Vector128.Max(Vector128.Abs(v0), Vector128.Abs(v1)), Vector128.Max(Vector128.Abs(v2), Vector128.Abs(v3))),
            Vector128.Max(Vector128.Max(Vector128.Abs(v4), Vector128.Abs(v5)), Vector128.Max(Vector128.Abs(v6), Vector128.Abs(v7))));
        float amax = MathF.Max(MathF.Max(m[0], m[1]), MathF.Max(m[2], m[3]));

        Vector128<float> id = Vector128.Create(SetScale(d, amax));
        Vector128<int> q0 = Vector128.ConvertToInt32(Vector128.Round(v0 * id)), q1 = Vector128.ConvertToInt32(Vector128.Round(v1 * id));
        Vector128<int> q2 = Vector128.ConvertToInt32(Vector128.Round(v2 * id)), q3 = Vector128.ConvertToInt32(Vector128.Round(v3 * id));
        Vector128<int> q4 = Vector128.ConvertToInt32(Vector128.Round(v4 * id)), q5 = Vector128.ConvertToInt32(Vector128.Round(v5 * id));
        Vector128<int> q6 = Vector128.ConvertToInt32(Vector128.Round(v6 * id)), q7 = Vector128.ConvertToInt32(Vector128.Round(v7 * id));

        Vector128.Narrow(Vector128.Narrow(q0, q1), Vector128.Narrow(q2, q3)).Store(q);
        Vector128.Narrow(Vector128.Narrow(q4, q5), Vector128.Narrow(q6, q7)).Store(q + 16);
        *s = Vector128.Sum(((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7)));
    }
#endif

    /// <summary>Stores the f16-rounded scale at <paramref name="d"/> and returns the multiplier 127 / amax.</summary>
    private static float SetScale(float* d, float amax)
    {
        *d = Fp16.ToSingle(Fp16.FromSingle(amax / 127f));
        return amax != 0f ? 127f / amax : 0f;
    }
}
