using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Quant;

/// <summary>
/// x86 matrix × matrix kernels for prefill, sixteen weight rows at a time, rows in lanes (docs/prefill.md). A tile's
/// weight blocks are read from the map once and rearranged once into a stack buffer as unsigned bytes, four
/// consecutive elements of eight rows per vector (one row per 32-bit lane, the layout of ik_llama.cpp's row-interleaved
/// types, built here per tile instead of in the file); then every token of the batch streams past that buffer, which
/// stays in L1/L2. Each step multiplies one such vector with four activation bytes broadcast to all lanes, so a
/// block's eight steps leave every row's exact int32 block sum in its own lane: no horizontal reduction per block,
/// and the float sequence per (row, token) is the reference's acc += (float)sum · (d_w · d_x) in block order, bit for
/// bit the single-token kernels'. Unsigned weights: Q4_0 nibbles n with Σ(n − 8)·x = Σn·x − 8·Σx; Q8_0 bytes
/// u = w + 128 with Σw·x = Σu·x − 128·Σx, on AVX2 split into nibbles u = 16·h + l (vpmaddubsw would saturate on u·x),
/// on AVX-VNNI whole (vpdpbusd does not). Rows left over (fewer than sixteen) run the matrix × vector kernel per token.
/// The interleaved types (docs/interleaved.md) run the same tiles: their file units already are the tile's vectors,
/// so only the unpacking differs (<see cref="UnpackR8"/>: no transposes), and a tile starts on a group of eight.
/// </summary>
internal static unsafe class X86Gemm
{
    /// <summary>Largest row (in blocks) the stack buffers are sized for; wider matrices run token by token.</summary>
    internal const int MaxBlocks = 256;

    /// <summary>Rows per tile: two groups of eight lanes.</summary>
    private const int TileRows = 16;

    /// <summary>
    /// Q8_0 on AVX2 with four tokens per pass (thirty-two accumulators), for CPUs where the JIT has 32 vector registers,
    /// i.e. EVEX encoding (AVX-512VL): 10–14 % faster than two tokens per pass on Zen 4 (A/B in one process, 64 tokens,
    /// 1536×576 and 576×1536); with 16 registers four tokens would spill. Bit-identical either way; the kernel table
    /// chooses (<see cref="KernelTable"/>).
    /// </summary>
    public static void Q8_0Wide(in MatVecArgs a, int r0, int r1) => TwoPlanes(a, r0, r1, wide: true);

    /// <summary>Q8_0 on AVX2 with two tokens per pass (sixteen accumulators), for CPUs with 16 vector registers.</summary>
    public static void Q8_0Narrow(in MatVecArgs a, int r0, int r1) => TwoPlanes(a, r0, r1, wide: false);

    /// <summary>Q8_0 on AVX-VNNI: one plane of bytes w + 128, vpdpbusd.</summary>
    public static void Q8_0Vnni(in MatVecArgs a, int r0, int r1) => OnePlane<VnniTileStep>(a, r0, r1, q8: true);

    public static void Q4_0<TDot>(in MatVecArgs a, int r0, int r1)
        where TDot : struct, IX86Dot
    {
        if (typeof(TDot) == typeof(VnniDot))
        {
            OnePlane<VnniTileStep>(a, r0, r1, q8: false);
        }
        else
        {
            OnePlane<Avx2TileStep>(a, r0, r1, q8: false);
        }
    }

    /// <summary>
    /// <see cref="GgmlType.Q8_0_R8"/> as <see cref="Q8_0Wide"/>: the same tile, unpacked from the file's units without
    /// transposes (docs/interleaved.md).
    /// </summary>
    public static void Q8_0R8Wide(in MatVecArgs a, int r0, int r1) => TwoPlanes(a, r0, r1, wide: true, interleaved: true);

    /// <summary><see cref="GgmlType.Q8_0_R8"/> as <see cref="Q8_0Narrow"/>.</summary>
    public static void Q8_0R8Narrow(in MatVecArgs a, int r0, int r1) => TwoPlanes(a, r0, r1, wide: false, interleaved: true);

    /// <summary><see cref="GgmlType.Q8_0_R8"/> as <see cref="Q8_0Vnni"/>.</summary>
    public static void Q8_0R8Vnni(in MatVecArgs a, int r0, int r1) => OnePlane<VnniTileStep>(a, r0, r1, q8: true, interleaved: true);

    /// <summary><see cref="GgmlType.Q4_0_R8"/> as <see cref="Q4_0{TDot}"/>.</summary>
    public static void Q4_0R8<TDot>(in MatVecArgs a, int r0, int r1)
        where TDot : struct, IX86Dot
    {
        if (typeof(TDot) == typeof(VnniDot))
        {
            OnePlane<VnniTileStep>(a, r0, r1, q8: false, interleaved: true);
        }
        else
        {
            OnePlane<Avx2TileStep>(a, r0, r1, q8: false, interleaved: true);
        }
    }

    /// <summary>
    /// One byte plane per tile (Q4_0 nibbles; Q8_0 bytes + 128 on VNNI), four tokens per pass; the matrix is the
    /// interleaved type when <paramref name="interleaved"/> (only the unpacking differs). Internal so tests can run the
    /// Q8_0 one-plane layout with a step that emulates vpdpbusd on CPUs without AVX-VNNI.
    /// </summary>
    internal static void OnePlane<TStep>(in MatVecArgs a, int r0, int r1, bool q8, bool interleaved = false)
        where TStep : struct, IX86TileStep
    {
        int nb = a.Blocks;
        int r = FirstTileRow(r0, r1, interleaved);
        Rest(a, r0, r, q8, interleaved);
        if (nb <= MaxBlocks)
        {
            byte* raw = stackalloc byte[(nb * 512) + (nb * TileRows * sizeof(float)) + 32];
            byte* u = (byte*)(((nuint)raw + 31) & ~(nuint)31);
            float* dw = (float*)(u + (nb * 512));
            int shift = q8 ? 7 : 3;
            for (; r + TileRows <= r1; r += TileRows)
            {
                if (interleaved)
                {
                    UnpackR8(a, r, u, dw, q8, twoPlanes: false);
                }
                else if (q8)
                {
                    UnpackQ8(a, r, u, dw, twoPlanes: false);
                }
                else
                {
                    UnpackQ4(a, r, u, dw);
                }

                var next = new TilePrefetch(a, r + TileRows, r1, (a.Tokens + 3) / 4);
                for (int t = 0; t < a.Tokens; t += 4)
                {
                    Tile1x4<TStep>(a, r, t, u, dw, shift);
                    next.Step();
                }
            }
        }

        Rest(a, r, r1, q8, interleaved);
    }

    /// <summary>
    /// Q8_0 (or Q8_0_R8 when <paramref name="interleaved"/>) on AVX2: bytes + 128 as two nibble planes, two or four
    /// tokens per pass (tests run both).
    /// </summary>
    internal static void TwoPlanes(in MatVecArgs a, int r0, int r1, bool wide, bool interleaved = false)
    {
        int nb = a.Blocks;
        int r = FirstTileRow(r0, r1, interleaved);
        Rest(a, r0, r, q8: true, interleaved);
        if (nb <= MaxBlocks)
        {
            byte* raw = stackalloc byte[(nb * 1024) + (nb * TileRows * sizeof(float)) + 32];
            byte* u = (byte*)(((nuint)raw + 31) & ~(nuint)31);
            float* dw = (float*)(u + (nb * 1024));
            for (; r + TileRows <= r1; r += TileRows)
            {
                if (interleaved)
                {
                    UnpackR8(a, r, u, dw, q8: true, twoPlanes: true);
                }
                else
                {
                    UnpackQ8(a, r, u, dw, twoPlanes: true);
                }

                if (wide)
                {
                    var next = new TilePrefetch(a, r + TileRows, r1, (a.Tokens + 3) / 4);
                    for (int t = 0; t < a.Tokens; t += 4)
                    {
                        Tile2x4(a, r, t, u, dw);
                        next.Step();
                    }
                }
                else
                {
                    var next = new TilePrefetch(a, r + TileRows, r1, (a.Tokens + 1) / 2);
                    for (int t = 0; t < a.Tokens; t += 2)
                    {
                        Tile2x2(a, r, t, u, dw);
                        next.Step();
                    }
                }
            }
        }

        Rest(a, r, r1, q8: true, interleaved);
    }

    /// <summary>
    /// The first row of the range's first tile: the range's start, or for an interleaved matrix the next group
    /// boundary (a tile is two whole groups of eight rows; the rows before it run <see cref="Rest"/>).
    /// </summary>
    internal static int FirstTileRow(int r0, int r1, bool interleaved) =>
        interleaved ? Math.Min((r0 + RowInterleave.Rows - 1) & ~(RowInterleave.Rows - 1), r1) : r0;

    /// <summary>
    /// Rows [r, r1) that do not fill a tile: the matrix × vector kernel, token by token (the interleaved types': those
    /// of <see cref="X86R8Kernels"/>, which run a partly covered group on the scalar reference).
    /// </summary>
    internal static void Rest(in MatVecArgs a, int r, int r1, bool q8, bool interleaved = false)
    {
        for (int t = 0; r < r1 && t < a.Tokens; t++)
        {
            if (interleaved && q8)
            {
                X86R8Kernels.Q8_0<Avx2Dot, NoSink>(a.ForToken(t), r, r1, default);
            }
            else if (interleaved)
            {
                X86R8Kernels.Q4_0<Avx2Dot, NoSink>(a.ForToken(t), r, r1, default);
            }
            else if (q8)
            {
                X86Kernels.Q8_0<Avx2Dot, NoSink>(a.ForToken(t), r, r1, default);
            }
            else
            {
                X86Kernels.Q4_0<Avx2Dot, NoSink, X86TableScales>(a.ForToken(t), r, r1, default);
            }
        }
    }

    /// <summary>
    /// Prefetches the next tile's rows a few cache lines per token pass while the current tile is multiplied, so the
    /// unpacking of the next tile finds its weights in cache instead of waiting on memory.
    /// </summary>
    internal struct TilePrefetch
    {
        private byte* _p;
        private readonly byte* _end;
        private readonly long _stride;

        public TilePrefetch(in MatVecArgs a, int row, int r1, int steps)
        {
            int rows = Math.Min(TileRows, r1 - row);
            _p = rows > 0 ? a.W + (a.RowBytes * row) : null;
            _end = rows > 0 ? _p + (a.RowBytes * rows) : null;
            long lines = rows > 0 ? ((a.RowBytes * rows) + 63) / 64 : 0;
            _stride = steps > 0 ? ((lines + steps - 1) / steps) * 64 : 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step()
        {
            for (byte* q = _p, stop = _p + _stride; q < stop && q < _end; q += 64)
            {
                Sse.Prefetch0(q);
            }

            _p += _stride;
        }
    }

    /// <summary>
    /// Rows r..r+15 of a Q4_0 matrix as nibbles 0..15 in element order, rows in lanes: block b, step j (elements
    /// 4j..4j+3), group g (rows r+8g..r+8g+7) at u + b·512 + j·64 + g·32; scales at dw + b·16 + row − r.
    /// </summary>
    private static void UnpackQ4(in MatVecArgs a, int r, byte* u, float* dw)
    {
        long rb = a.RowBytes;
        float* f16 = Fp16.Table;
        Vector128<byte> mask = Vector128.Create((byte)0x0F);
        Vector256<int>* v = stackalloc Vector256<int>[8];
        for (int g = 0; g < 2; g++)
        {
            byte* p = a.W + (rb * (r + (8 * g)));
            for (int b = 0; b < a.Blocks; b++, p += 18)
            {
                for (int k = 0; k < 8; k++)
                {
                    byte* q = p + (k * rb);
                    Vector128<byte> w = Vector128.Load(q + 2);
                    v[k] = Vector256.Create(Sse2.And(w, mask), Sse2.And(Sse2.ShiftRightLogical(w.AsUInt16(), 4).AsByte(), mask)).AsInt32();
                    dw[(b * 16) + (g * 8) + k] = f16[*(ushort*)q];
                }

                Transpose8x8(v);
                byte* o = u + (b * 512) + (g * 32);
                for (int j = 0; j < 8; j++)
                {
                    Avx.StoreAligned((int*)(o + (j * 64)), v[j]);
                }
            }
        }
    }

    /// <summary>
    /// Rows r..r+15 of a Q8_0 matrix as bytes w + 128 in element order, rows in lanes. One plane: as
    /// <see cref="UnpackQ4"/>. Two planes (AVX2): block b, step j, group g at u + b·1024 + j·128 + g·64, the low
    /// nibbles there and the high nibbles 32 bytes on.
    /// </summary>
    private static void UnpackQ8(in MatVecArgs a, int r, byte* u, float* dw, bool twoPlanes)
    {
        long rb = a.RowBytes;
        float* f16 = Fp16.Table;
        Vector256<byte> bias = Vector256.Create((byte)0x80), mask = Vector256.Create((byte)0x0F);
        Vector256<int>* v = stackalloc Vector256<int>[8];
        for (int g = 0; g < 2; g++)
        {
            byte* p = a.W + (rb * (r + (8 * g)));
            for (int b = 0; b < a.Blocks; b++, p += 34)
            {
                for (int k = 0; k < 8; k++)
                {
                    byte* q = p + (k * rb);
                    v[k] = Avx2.Xor(Avx.LoadVector256(q + 2), bias).AsInt32();
                    dw[(b * 16) + (g * 8) + k] = f16[*(ushort*)q];
                }

                Transpose8x8(v);
                if (twoPlanes)
                {
                    byte* o = u + (b * 1024) + (g * 64);
                    for (int j = 0; j < 8; j++)
                    {
                        Vector256<byte> x = v[j].AsByte();
                        Avx.StoreAligned(o + (j * 128), Avx2.And(x, mask));
                        Avx.StoreAligned(o + (j * 128) + 32, Avx2.And(Avx2.ShiftRightLogical(x.AsUInt16(), 4).AsByte(), mask));
                    }
                }
                else
                {
                    byte* o = u + (b * 512) + (g * 32);
                    for (int j = 0; j < 8; j++)
                    {
                        Avx.StoreAligned((int*)(o + (j * 64)), v[j]);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Rows r..r+15 (r a multiple of eight) of a Q8_0_R8 or Q4_0_R8 matrix into the tile of <see cref="UnpackQ8"/> or
    /// <see cref="UnpackQ4"/>. The file's 32-byte units already hold four elements of eight rows, one row per 32-bit
    /// lane, so each unit is one load and one or two stores: no transposes. Q8_0: unit j is step j (bytes + 128, split
    /// into two nibble planes for AVX2); Q4_0: unit m's low nibbles are step m, its high nibbles step m + 4. The eight
    /// scales of a group are converted in SIMD lanes (<see cref="X86Fp16"/>, bit for bit the table).
    /// </summary>
    internal static void UnpackR8(in MatVecArgs a, int r, byte* u, float* dw, bool q8, bool twoPlanes)
    {
        long gb = a.RowBytes * RowInterleave.Rows; // one group of eight rows
        int bb = q8 ? 8 * 34 : 8 * 18;             // one group block
        Vector256<byte> bias = Vector256.Create((byte)0x80), mask = Vector256.Create((byte)0x0F);
        for (int g = 0; g < 2; g++)
        {
            byte* p = a.W + (a.RowBytes * r) + (g * gb);
            for (int b = 0; b < a.Blocks; b++, p += bb)
            {
                X86R8Kernels.Scales(p).Store(dw + (b * 16) + (g * 8));
                if (!q8)
                {
                    byte* o = u + (b * 512) + (g * 32);
                    for (int m = 0; m < 4; m++)
                    {
                        Vector256<byte> q = Avx.LoadVector256(p + 16 + (m * 32));
                        Avx.StoreAligned(o + (m * 64), q & mask);
                        Avx.StoreAligned(o + ((m + 4) * 64), Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & mask);
                    }
                }
                else if (twoPlanes)
                {
                    byte* o = u + (b * 1024) + (g * 64);
                    for (int j = 0; j < 8; j++)
                    {
                        Vector256<byte> x = Avx.LoadVector256(p + 16 + (j * 32)) ^ bias;
                        Avx.StoreAligned(o + (j * 128), x & mask);
                        Avx.StoreAligned(o + (j * 128) + 32, Avx2.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & mask);
                    }
                }
                else
                {
                    byte* o = u + (b * 512) + (g * 32);
                    for (int j = 0; j < 8; j++)
                    {
                        Avx.StoreAligned(o + (j * 64), Avx.LoadVector256(p + 16 + (j * 32)) ^ bias);
                    }
                }
            }
        }
    }

    /// <summary>Transposes eight vectors of eight 32-bit units in place: afterwards v[j] holds unit j of every input, input k in lane k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(Vector256<int>* v)
    {
        Vector256<int> t0 = Avx2.UnpackLow(v[0], v[1]), t1 = Avx2.UnpackHigh(v[0], v[1]);
        Vector256<int> t2 = Avx2.UnpackLow(v[2], v[3]), t3 = Avx2.UnpackHigh(v[2], v[3]);
        Vector256<int> t4 = Avx2.UnpackLow(v[4], v[5]), t5 = Avx2.UnpackHigh(v[4], v[5]);
        Vector256<int> t6 = Avx2.UnpackLow(v[6], v[7]), t7 = Avx2.UnpackHigh(v[6], v[7]);
        Vector256<int> s0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64()).AsInt32(), s1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64()).AsInt32();
        Vector256<int> s2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64()).AsInt32(), s3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64()).AsInt32();
        Vector256<int> s4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64()).AsInt32(), s5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64()).AsInt32();
        Vector256<int> s6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64()).AsInt32(), s7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64()).AsInt32();
        v[0] = Avx2.Permute2x128(s0, s4, 0x20);
        v[1] = Avx2.Permute2x128(s1, s5, 0x20);
        v[2] = Avx2.Permute2x128(s2, s6, 0x20);
        v[3] = Avx2.Permute2x128(s3, s7, 0x20);
        v[4] = Avx2.Permute2x128(s0, s4, 0x31);
        v[5] = Avx2.Permute2x128(s1, s5, 0x31);
        v[6] = Avx2.Permute2x128(s2, s6, 0x31);
        v[7] = Avx2.Permute2x128(s3, s7, 0x31);
    }

    /// <summary>Four activation bytes (elements 4j..4j+3 of a block) in every 32-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast4(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();

    /// <summary>acc + (float)(sum − Σx·2^shift) · (d_w · d_x): the reference's per-block float step for eight rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<float> acc, Vector256<int> sum, int xs, int shift, Vector256<float> dw, float dx) =>
        acc + (Vector256.ConvertToSingle(sum - Vector256.Create(xs << shift)) * (dw * Vector256.Create(dx)));

    /// <summary>
    /// Rows r..r+15 of tokens t..t+3 (past the last token, the last one again: the same bits written twice) from a
    /// one-plane tile: per block eight steps into eight accumulators (two row groups × four tokens).
    /// </summary>
    private static void Tile1x4<TStep>(in MatVecArgs a, int r, int t, byte* u, float* dw, int shift)
        where TStep : struct, IX86TileStep
    {
        int last = a.Tokens - 1;
        int t1 = Math.Min(t + 1, last), t2 = Math.Min(t + 2, last), t3 = Math.Min(t + 3, last);
        sbyte* x0 = a.Xq + ((long)t * a.XStride), x1 = a.Xq + ((long)t1 * a.XStride);
        sbyte* x2 = a.Xq + ((long)t2 * a.XStride), x3 = a.Xq + ((long)t3 * a.XStride);
        long bs = a.XBlockStride;
        float* d0 = a.Xd + (t * bs), d1 = a.Xd + (t1 * bs), d2 = a.Xd + (t2 * bs), d3 = a.Xd + (t3 * bs);
        int* s0 = a.Xs + (t * bs), s1 = a.Xs + (t1 * bs), s2 = a.Xs + (t2 * bs), s3 = a.Xs + (t3 * bs);
        Vector256<float> f00 = Vector256<float>.Zero, f01 = f00, f02 = f00, f03 = f00, f10 = f00, f11 = f00, f12 = f00, f13 = f00;
        for (int b = 0; b < a.Blocks; b++)
        {
            Vector256<int> a00 = Vector256<int>.Zero, a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            byte* ub = u + (b * 512);
            int o = b * 32;
            for (int j = 0; j < 32; j += 4, ub += 64)
            {
                Vector256<byte> w0 = Avx.LoadAlignedVector256(ub), w1 = Avx.LoadAlignedVector256(ub + 32);
                Vector256<sbyte> x = Broadcast4(x0 + o + j);
                a00 = TStep.Step(a00, w0, x);
                a10 = TStep.Step(a10, w1, x);
                x = Broadcast4(x1 + o + j);
                a01 = TStep.Step(a01, w0, x);
                a11 = TStep.Step(a11, w1, x);
                x = Broadcast4(x2 + o + j);
                a02 = TStep.Step(a02, w0, x);
                a12 = TStep.Step(a12, w1, x);
                x = Broadcast4(x3 + o + j);
                a03 = TStep.Step(a03, w0, x);
                a13 = TStep.Step(a13, w1, x);
            }

            Vector256<float> g0 = Avx.LoadAlignedVector256(dw + (b * 16)), g1 = Avx.LoadAlignedVector256(dw + (b * 16) + 8);
            f00 = Accumulate(f00, TStep.Finish(a00), s0[b], shift, g0, d0[b]);
            f10 = Accumulate(f10, TStep.Finish(a10), s0[b], shift, g1, d0[b]);
            f01 = Accumulate(f01, TStep.Finish(a01), s1[b], shift, g0, d1[b]);
            f11 = Accumulate(f11, TStep.Finish(a11), s1[b], shift, g1, d1[b]);
            f02 = Accumulate(f02, TStep.Finish(a02), s2[b], shift, g0, d2[b]);
            f12 = Accumulate(f12, TStep.Finish(a12), s2[b], shift, g1, d2[b]);
            f03 = Accumulate(f03, TStep.Finish(a03), s3[b], shift, g0, d3[b]);
            f13 = Accumulate(f13, TStep.Finish(a13), s3[b], shift, g1, d3[b]);
        }

        float* y = a.Y + r;
        long ys = a.YStride;
        f00.Store(y + (t * ys));
        f10.Store(y + (t * ys) + 8);
        f01.Store(y + (t1 * ys));
        f11.Store(y + (t1 * ys) + 8);
        f02.Store(y + (t2 * ys));
        f12.Store(y + (t2 * ys) + 8);
        f03.Store(y + (t3 * ys));
        f13.Store(y + (t3 * ys) + 8);
    }

    /// <summary>
    /// Rows r..r+15 of tokens t and t+1 (or t twice) from a two-plane Q8_0 tile: per block and row the low and high
    /// nibble sums l and h, then Σu·x = 16·h + l (vpmaddwd by 16 and by 1).
    /// </summary>
    private static void Tile2x2(in MatVecArgs a, int r, int t, byte* u, float* dw)
    {
        int t1 = Math.Min(t + 1, a.Tokens - 1);
        sbyte* x0 = a.Xq + ((long)t * a.XStride), x1 = a.Xq + ((long)t1 * a.XStride);
        long bs = a.XBlockStride;
        float* d0 = a.Xd + (t * bs), d1 = a.Xd + (t1 * bs);
        int* s0 = a.Xs + (t * bs), s1 = a.Xs + (t1 * bs);
        Vector256<short> one = Vector256.Create((short)1), sixteen = Vector256.Create((short)16);
        Vector256<float> f00 = Vector256<float>.Zero, f01 = f00, f10 = f00, f11 = f00;
        for (int b = 0; b < a.Blocks; b++)
        {
            Vector256<int> l00 = Vector256<int>.Zero, h00 = l00, l01 = l00, h01 = l00, l10 = l00, h10 = l00, l11 = l00, h11 = l00;
            byte* ub = u + (b * 1024);
            int o = b * 32;
            for (int j = 0; j < 32; j += 4, ub += 128)
            {
                Vector256<byte> wl0 = Avx.LoadAlignedVector256(ub), wh0 = Avx.LoadAlignedVector256(ub + 32);
                Vector256<byte> wl1 = Avx.LoadAlignedVector256(ub + 64), wh1 = Avx.LoadAlignedVector256(ub + 96);
                Vector256<sbyte> x = Broadcast4(x0 + o + j);
                l00 = Avx2TileStep.Step(l00, wl0, x);
                h00 = Avx2TileStep.Step(h00, wh0, x);
                l10 = Avx2TileStep.Step(l10, wl1, x);
                h10 = Avx2TileStep.Step(h10, wh1, x);
                x = Broadcast4(x1 + o + j);
                l01 = Avx2TileStep.Step(l01, wl0, x);
                h01 = Avx2TileStep.Step(h01, wh0, x);
                l11 = Avx2TileStep.Step(l11, wl1, x);
                h11 = Avx2TileStep.Step(h11, wh1, x);
            }

            Vector256<float> g0 = Avx.LoadAlignedVector256(dw + (b * 16)), g1 = Avx.LoadAlignedVector256(dw + (b * 16) + 8);
            f00 = Accumulate(f00, Combine(l00, h00, one, sixteen), s0[b], 7, g0, d0[b]);
            f10 = Accumulate(f10, Combine(l10, h10, one, sixteen), s0[b], 7, g1, d0[b]);
            f01 = Accumulate(f01, Combine(l01, h01, one, sixteen), s1[b], 7, g0, d1[b]);
            f11 = Accumulate(f11, Combine(l11, h11, one, sixteen), s1[b], 7, g1, d1[b]);
        }

        float* y = a.Y + r;
        long ys = a.YStride;
        f00.Store(y + (t * ys));
        f10.Store(y + (t * ys) + 8);
        f01.Store(y + (t1 * ys));
        f11.Store(y + (t1 * ys) + 8);
    }

    /// <summary>As <see cref="Tile2x2"/> for tokens t..t+3 (thirty-two accumulators: needs the 32 vector registers of AVX-512 machines).</summary>
    private static void Tile2x4(in MatVecArgs a, int r, int t, byte* u, float* dw)
    {
        int last = a.Tokens - 1;
        int t1 = Math.Min(t + 1, last), t2 = Math.Min(t + 2, last), t3 = Math.Min(t + 3, last);
        sbyte* x0 = a.Xq + ((long)t * a.XStride), x1 = a.Xq + ((long)t1 * a.XStride);
        sbyte* x2 = a.Xq + ((long)t2 * a.XStride), x3 = a.Xq + ((long)t3 * a.XStride);
        long bs = a.XBlockStride;
        float* d0 = a.Xd + (t * bs), d1 = a.Xd + (t1 * bs), d2 = a.Xd + (t2 * bs), d3 = a.Xd + (t3 * bs);
        int* s0 = a.Xs + (t * bs), s1 = a.Xs + (t1 * bs), s2 = a.Xs + (t2 * bs), s3 = a.Xs + (t3 * bs);
        Vector256<short> one = Vector256.Create((short)1), sixteen = Vector256.Create((short)16);
        Vector256<float> f00 = Vector256<float>.Zero, f01 = f00, f02 = f00, f03 = f00, f10 = f00, f11 = f00, f12 = f00, f13 = f00;
        for (int b = 0; b < a.Blocks; b++)
        {
            Vector256<int> l00 = Vector256<int>.Zero, h00 = l00, l01 = l00, h01 = l00, l10 = l00, h10 = l00, l11 = l00, h11 = l00;
            Vector256<int> l02 = l00, h02 = l00, l03 = l00, h03 = l00, l12 = l00, h12 = l00, l13 = l00, h13 = l00;
            byte* ub = u + (b * 1024);
            int o = b * 32;
            for (int j = 0; j < 32; j += 4, ub += 128)
            {
                Vector256<byte> wl0 = Avx.LoadAlignedVector256(ub), wh0 = Avx.LoadAlignedVector256(ub + 32);
                Vector256<byte> wl1 = Avx.LoadAlignedVector256(ub + 64), wh1 = Avx.LoadAlignedVector256(ub + 96);
                Vector256<sbyte> x = Broadcast4(x0 + o + j);
                l00 = Avx2TileStep.Step(l00, wl0, x);
                h00 = Avx2TileStep.Step(h00, wh0, x);
                l10 = Avx2TileStep.Step(l10, wl1, x);
                h10 = Avx2TileStep.Step(h10, wh1, x);
                x = Broadcast4(x1 + o + j);
                l01 = Avx2TileStep.Step(l01, wl0, x);
                h01 = Avx2TileStep.Step(h01, wh0, x);
                l11 = Avx2TileStep.Step(l11, wl1, x);
                h11 = Avx2TileStep.Step(h11, wh1, x);
                x = Broadcast4(x2 + o + j);
                l02 = Avx2TileStep.Step(l02, wl0, x);
                h02 = Avx2TileStep.Step(h02, wh0, x);
                l12 = Avx2TileStep.Step(l12, wl1, x);
                h12 = Avx2TileStep.Step(h12, wh1, x);
                x = Broadcast4(x3 + o + j);
                l03 = Avx2TileStep.Step(l03, wl0, x);
                h03 = Avx2TileStep.Step(h03, wh0, x);
                l13 = Avx2TileStep.Step(l13, wl1, x);
                h13 = Avx2TileStep.Step(h13, wh1, x);
            }

            Vector256<float> g0 = Avx.LoadAlignedVector256(dw + (b * 16)), g1 = Avx.LoadAlignedVector256(dw + (b * 16) + 8);
            f00 = Accumulate(f00, Combine(l00, h00, one, sixteen), s0[b], 7, g0, d0[b]);
            f10 = Accumulate(f10, Combine(l10, h10, one, sixteen), s0[b], 7, g1, d0[b]);
            f01 = Accumulate(f01, Combine(l01, h01, one, sixteen), s1[b], 7, g0, d1[b]);
            f11 = Accumulate(f11, Combine(l11, h11, one, sixteen), s1[b], 7, g1, d1[b]);
            f02 = Accumulate(f02, Combine(l02, h02, one, sixteen), s2[b], 7, g0, d2[b]);
            f12 = Accumulate(f12, Combine(l12, h12, one, sixteen), s2[b], 7, g1, d2[b]);
            f03 = Accumulate(f03, Combine(l03, h03, one, sixteen), s3[b], 7, g0, d3[b]);
            f13 = Accumulate(f13, Combine(l13, h13, one, sixteen), s3[b], 7, g1, d3[b]);
        }

        float* y = a.Y + r;
        long ys = a.YStride;
        f00.Store(y + (t * ys));
        f10.Store(y + (t * ys) + 8);
        f01.Store(y + (t1 * ys));
        f11.Store(y + (t1 * ys) + 8);
        f02.Store(y + (t2 * ys));
        f12.Store(y + (t2 * ys) + 8);
        f03.Store(y + (t3 * ys));
        f13.Store(y + (t3 * ys) + 8);
    }

    /// <summary>16·h + l per row from the int16 pair accumulators of the two nibble planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Combine(Vector256<int> l, Vector256<int> h, Vector256<short> one, Vector256<short> sixteen) =>
        Avx2.Add(Avx2.MultiplyAddAdjacent(h.AsInt16(), sixteen), Avx2.MultiplyAddAdjacent(l.AsInt16(), one));

    /// <summary>The 32 nibbles of a Q4_0 block as bytes 0..15: low nibbles (elements 0–15), then high (16–31).</summary>
    /// <remarks>
    /// Three instructions: the 16 bytes broadcast to both lanes by the load, the upper lane shifted right by 4 (a
    /// per-lane variable shift), one mask.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> Nibbles(byte* p)
    {
        Vector256<uint> q = Avx2.BroadcastVector128ToVector256((uint*)(p + 2));
        Vector256<uint> shifted = Avx2.ShiftRightLogicalVariable(q, Vector256.Create(0u, 0, 0, 0, 4, 4, 4, 4));
        return Avx2.And(shifted.AsByte(), Vector256.Create((byte)0x0F));
    }
}
