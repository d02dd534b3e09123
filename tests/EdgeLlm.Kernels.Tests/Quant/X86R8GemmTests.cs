using System.Runtime.Intrinsics.X86;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Threading;

namespace EdgeLlm.Kernels.Tests.Quant;

/// <summary>
/// The x86 prefill tiles of the row-interleaved types (<see cref="GgmlType.Q8_0_R8"/>, <see cref="GgmlType.Q4_0_R8"/>;
/// docs/interleaved.md, docs/prefill.md) against their scalar twin <see cref="ScalarGemm"/>: every output bit-identical
/// on every x86 path this CPU runs, taken from the kernel table (each test first asserts that the table really holds
/// the path's tile, not the scalar reference or the per-token fallback), for every batch size up to 70 (short last
/// passes, a repeated last token), row ranges that start and end inside groups of eight and tiles of sixteen, widths
/// up to one past the tile's stack limit, and through the pool with the activations widened once per dispatch.
/// </summary>
public unsafe class X86R8GemmTests
{
    private const int Sentinel = 0x7FC0_1234; // a NaN no kernel writes: marks outputs outside the range

    private static readonly GgmlType[] Types = [GgmlType.Q8_0_R8, GgmlType.Q4_0_R8];

    /// <summary>The x86 paths this CPU runs (the file is not compiled for arm64).</summary>
    public static IEnumerable<KernelPath> X86Paths()
    {
        return new[] { KernelPath.Avx2, KernelPath.AvxVnni, KernelPath.Avx512 }.Where(KernelSelector.IsSupported);
    }

    /// <summary>The case lists above are not empty: every test below has a path to run on.</summary>
    [Test]
    public void ThisMachineRunsAnX86Path() =>
        Assert.That(X86Paths(), Is.Not.Empty, "an x86 machine that runs these tests runs at least the AVX2 path");

    public static IEnumerable<TestCaseData> BatchCases()
    {
        foreach (KernelPath path in X86Paths())
        {
            foreach (GgmlType type in Types)
            {
                for (int tokens = 1; tokens <= 70; tokens++)
                {
                    yield return new TestCaseData(path, type, tokens).SetArgDisplayNames(path.ToString(), type.ToString(), $"{tokens}tok");
                }
            }
        }
    }

    /// <summary>56 rows: three 16-row tiles and one group of eight for the matrix × vector kernel.</summary>
    [TestCaseSource(nameof(BatchCases))]
    public void EveryBatchSizeIsBitExactWithTheScalarReference(KernelPath path, GgmlType type, int tokens)
    {
        var gemm = SelectedTile(path, type);
        Check(gemm, type, rows: 56, cols: 160, tokens, 0, 56, seed: tokens);
    }

    public static IEnumerable<TestCaseData> RangeCases()
    {
        (int, int)[] ranges = [(0, 64), (0, 16), (8, 24), (3, 61), (5, 13), (1, 7), (9, 57), (16, 64), (24, 40), (40, 56), (0, 8), (56, 64), (7, 9), (12, 36)];
        foreach (KernelPath path in X86Paths())
        {
            foreach (GgmlType type in Types)
            {
                foreach ((int r0, int r1) in ranges)
                {
                    foreach (int tokens in new[] { 13, 70 })
                    {
                        yield return new TestCaseData(path, type, r0, r1, tokens)
                            .SetArgDisplayNames(path.ToString(), type.ToString(), $"rows{r0}-{r1}", $"{tokens}tok");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Ranges whose ends are and are not multiples of 8 and 16 (a chunk of a fused dispatch starts wherever the
    /// previous matrix ended): the rows before the first whole group and after the last tile go to the matrix × vector
    /// kernel (partial groups to the scalar reference), and nothing outside the range is written.
    /// </summary>
    [TestCaseSource(nameof(RangeCases))]
    public void RowRangesAreBitExactAndWriteNothingOutside(KernelPath path, GgmlType type, int r0, int r1, int tokens)
    {
        var gemm = SelectedTile(path, type);
        Check(gemm, type, rows: 64, cols: 96, tokens, r0, r1, seed: (r0 * 100) + r1);
    }

    public static IEnumerable<TestCaseData> ShapeCases()
    {
        // cols 8224 = 257 blocks: one past X86Gemm.MaxBlocks, so the whole matrix runs the matrix × vector kernel
        (int, int)[] shapes = [(40, 32), (200, 96), (64, 576), (24, 1536), (960, 320), (16, 8224)];
        foreach (KernelPath path in X86Paths())
        {
            foreach (GgmlType type in Types)
            {
                foreach ((int rows, int cols) in shapes)
                {
                    foreach (int tokens in new[] { 13, 64 })
                    {
                        foreach (int threads in new[] { 1, 2 })
                        {
                            yield return new TestCaseData(path, type, rows, cols, tokens, threads)
                                .SetArgDisplayNames(path.ToString(), type.ToString(), $"{rows}x{cols}", $"{tokens}tok", $"{threads}t");
                        }
                    }
                }
            }
        }
    }

    /// <summary>Through the model's dispatch (<see cref="MatVec.MultiplyFused"/>): chunks on the pool, activations widened by the table.</summary>
    [TestCaseSource(nameof(ShapeCases))]
    public void ColumnCountsThroughThePoolAreBitExact(KernelPath path, GgmlType type, int rows, int cols, int tokens, int threads)
    {
        SelectedTile(path, type);
        KernelTable k = KernelTable.For(path);
        var rng = new Random((rows * 31) + cols + tokens + (int)type);
        byte[] w = InterleavedWeights(rng, type, rows, cols);
        Q8Activations xq = Activations(rng, cols, tokens);
        float[] y = Filled(tokens * rows), yRef = Filled(tokens * rows);
        using var pool = new WorkerPool(threads) { Adaptive = false };
        fixed (byte* pw = w)
        fixed (float* py = y, pr = yRef)
        {
            var m = new WeightMatrix(type, pw, rows, cols);
            MatVec.MultiplyFused(pool, k, null, 0, xq, tokens, rows, m, py);
            Reference(type, TileArgs.For(m, xq, tokens, pr, rows), 0, rows);
            GC.KeepAlive(xq); // the kernel read its pinned arrays through raw pointers
        }

        AssertSameBits(y, yRef, rows);
    }

    /// <summary>
    /// Q, K and V in one dispatch: the second and third matrices start at rows 200 and 264 of the fused numbering, so
    /// two threads' 16-row-multiple chunks cut them at offsets that are 8 mod 16.
    /// </summary>
    [Test]
    public void FusedMatricesAreBitExact([ValueSource(nameof(X86Paths))] KernelPath path, [ValueSource(nameof(Types))] GgmlType type, [Values(13, 64)] int tokens)
    {
        SelectedTile(path, type);
        KernelTable k = KernelTable.For(path);
        const int cols = 576;
        int[] rowCounts = [200, 64, 40];
        var rng = new Random(tokens + (int)type);
        byte[][] ws = rowCounts.Select(r => InterleavedWeights(rng, type, r, cols)).ToArray();
        Q8Activations xq = Activations(rng, cols, tokens);
        float[][] ys = rowCounts.Select(r => Filled(tokens * r)).ToArray();
        float[][] refs = rowCounts.Select(r => Filled(tokens * r)).ToArray();
        using var pool = new WorkerPool(2) { Adaptive = false };
        fixed (byte* w0 = ws[0], w1 = ws[1], w2 = ws[2])
        {
            var m0 = new WeightMatrix(type, w0, rowCounts[0], cols);
            var m1 = new WeightMatrix(type, w1, rowCounts[1], cols);
            var m2 = new WeightMatrix(type, w2, rowCounts[2], cols);

            // one output stride for the three, as the forward pass uses (the longest matrix's rows)
            float[][] wide = rowCounts.Select(_ => Filled(tokens * 200)).ToArray();
            fixed (float* v0 = wide[0], v1 = wide[1], v2 = wide[2])
            {
                MatVec.MultiplyFused(pool, k, null, 0, xq, tokens, 200, m0, v0, m1, v1, m2, v2);
            }

            WeightMatrix[] ms = [m0, m1, m2];
            for (int i = 0; i < 3; i++)
            {
                int rows = rowCounts[i];
                for (int t = 0; t < tokens; t++)
                {
                    Array.Copy(wide[i], t * 200, ys[i], t * rows, rows);
                }

                fixed (float* pr = refs[i])
                {
                    Reference(type, TileArgs.For(ms[i], xq, tokens, pr, rows), 0, rows);
                    GC.KeepAlive(xq); // the kernel read its pinned arrays through raw pointers
                }
            }
        }

        for (int i = 0; i < 3; i++)
        {
            AssertSameBits(ys[i], refs[i], rowCounts[i]);
        }
    }

    /// <summary>
    /// On the <see cref="KernelPath.Avx512"/> path a dispatch of Q8_0_R8 matrices widens the batch to int16 once
    /// (the tile's operand) and a Q4_0_R8 dispatch does not.
    /// </summary>
    [Test]
    public void Avx512WidensTheActivationsForQ8_0R8Only([Values(GgmlType.Q8_0_R8, GgmlType.Q4_0_R8)] GgmlType type)
    {
        MatVecTests.RequireSupported(KernelPath.Avx512);
        KernelTable k = KernelTable.For(KernelPath.Avx512);
        const int rows = 32, cols = 96, tokens = 9;
        var rng = new Random(7);
        byte[] w = InterleavedWeights(rng, type, rows, cols);
        Q8Activations xq = Activations(rng, cols, tokens);
        short* x16 = xq.Wide16;
        new Span<short>(x16, xq.Capacity * tokens).Fill(short.MaxValue); // no int8 value widens to it
        float[] y = new float[tokens * rows];
        using var pool = new WorkerPool(1);
        fixed (byte* pw = w)
        fixed (float* py = y)
        {
            MatVec.MultiplyFused(pool, k, null, 0, xq, tokens, rows, new WeightMatrix(type, pw, rows, cols), py);
        }

        for (int t = 0; t < tokens; t++)
        {
            for (int i = 0; i < cols; i++)
            {
                long at = ((long)t * xq.Capacity) + i;
                short expected = type == GgmlType.Q8_0_R8 ? xq.Qs[at] : short.MaxValue;
                Assert.That(x16[at], Is.EqualTo(expected), $"token {t} value {i}");
            }
        }
    }

    /// <summary>
    /// Both AVX2 Q8_0_R8 tile shapes (two tokens per pass for 16-register machines, four for 32) whichever this
    /// machine's table holds, over a range that starts and ends inside groups.
    /// </summary>
    [Test]
    public void BothAvx2Q8R8TileShapesAreBitExact([Values(false, true)] bool wide, [Values(1, 2, 3, 5, 64, 70)] int tokens)
    {
        MatVecTests.RequireSupported(KernelPath.Avx2);
        Check(&TwoPlanes, GgmlType.Q8_0_R8, rows: 64, cols: 160, tokens, 3, 61, seed: tokens + (wide ? 1000 : 0), wide);
    }

    /// <summary>
    /// The one-plane tiles (Q8_0_R8 as w + 128, Q4_0_R8 nibbles), the AVX-VNNI path's, with
    /// <see cref="EmulatedVnniStep"/> (a plain-integer vpdpbusd): their unpacking from the interleaved units and the
    /// corrections are checked on every AVX2 CPU, the instruction itself by the AvxVnni cases where the CPU has it.
    /// </summary>
    [Test]
    public void OnePlaneTilesWithEmulatedVnniAreBitExact([ValueSource(nameof(Types))] GgmlType type, [Values(1, 4, 7, 64)] int tokens)
    {
        MatVecTests.RequireSupported(KernelPath.Avx2); // the unpacking uses AVX2
        Check(&EmulatedVnni, type, rows: 48, cols: 96, tokens, 0, 48, seed: tokens + (31 * (int)type), false);
    }

    /// <summary>The path's R8 tile from the kernel table, after asserting it is the tile this file tests.</summary>
    private static delegate*<in MatVecArgs, int, int, void> SelectedTile(KernelPath path, GgmlType type)
    {
        MatVecTests.RequireSupported(path);
        KernelTable k = KernelTable.For(path);
        var gemm = type == GgmlType.Q8_0_R8 ? k.GemmQ8_0R8 : k.GemmQ4_0R8;
        // CS8909: the same function may have distinct pointers in general; CoreCLR hands out one stable entry point per
        // method (and per exact generic instantiation), so here distinct pointers could only fail this test, never let
        // a wrong selection pass.
#pragma warning disable CS8909
        Assert.That(gemm == ExpectedTile(path, type), $"the {path} table holds the {type} prefill tile");
#pragma warning restore CS8909
        return gemm;
    }

    private static delegate*<in MatVecArgs, int, int, void> ExpectedTile(KernelPath path, GgmlType type)
    {
        if (type == GgmlType.Q4_0_R8)
        {
            return path == KernelPath.AvxVnni ? &X86Gemm.Q4_0R8<VnniDot> : &X86Gemm.Q4_0R8<Avx2Dot>;
        }

        if (path == KernelPath.Avx512)
        {
            return &X86Avx512Gemm.Q8_0R8;
        }

        if (path == KernelPath.AvxVnni)
        {
            return &X86Gemm.Q8_0R8Vnni;
        }

        return Avx512F.VL.IsSupported ? &X86Gemm.Q8_0R8Wide : &X86Gemm.Q8_0R8Narrow;
    }

    private static void TwoPlanes(in MatVecArgs a, int r0, int r1, bool wide) => X86Gemm.TwoPlanes(a, r0, r1, wide, interleaved: true);

    private static void EmulatedVnni(in MatVecArgs a, int r0, int r1, bool unused) =>
        X86Gemm.OnePlane<EmulatedVnniStep>(a, r0, r1, a.Type == GgmlType.Q8_0_R8, interleaved: true);

    private static void Check(delegate*<in MatVecArgs, int, int, void> gemm, GgmlType type, int rows, int cols, int tokens, int r0, int r1, int seed)
    {
        var rng = new Random(seed + (1000 * (int)type));
        byte[] w = InterleavedWeights(rng, type, rows, cols);
        Q8Activations xq = Activations(rng, cols, tokens);
        int ys = rows + 3; // deliberately not the row count
        float[] y = Filled(tokens * ys), yRef = Filled(tokens * ys);
        fixed (byte* pw = w)
        fixed (float* py = y, pr = yRef)
        {
            var m = new WeightMatrix(type, pw, rows, cols);
            gemm(TileArgs.For(m, xq, tokens, py, ys), r0, r1);
            Reference(type, TileArgs.For(m, xq, tokens, pr, ys), r0, r1);
            GC.KeepAlive(xq); // the kernel read its pinned arrays through raw pointers
        }

        AssertSameBits(y, yRef, ys);
    }

    private static void Check(delegate*<in MatVecArgs, int, int, bool, void> gemm, GgmlType type, int rows, int cols, int tokens, int r0, int r1, int seed, bool flag)
    {
        var rng = new Random(seed + (1000 * (int)type));
        byte[] w = InterleavedWeights(rng, type, rows, cols);
        Q8Activations xq = Activations(rng, cols, tokens);
        float[] y = Filled(tokens * rows), yRef = Filled(tokens * rows);
        fixed (byte* pw = w)
        fixed (float* py = y, pr = yRef)
        {
            var m = new WeightMatrix(type, pw, rows, cols);
            gemm(TileArgs.For(m, xq, tokens, py, rows), r0, r1, flag);
            Reference(type, TileArgs.For(m, xq, tokens, pr, rows), r0, r1);
            GC.KeepAlive(xq); // the kernel read its pinned arrays through raw pointers
        }

        AssertSameBits(y, yRef, rows);
    }

    private static void Reference(GgmlType type, in MatVecArgs a, int r0, int r1)
    {
        if (type == GgmlType.Q8_0_R8)
        {
            ScalarGemm.Q8_0R8(a, r0, r1);
        }
        else
        {
            ScalarGemm.Q4_0R8(a, r0, r1);
        }
    }

    /// <summary>Random plain weights with the extremes (<see cref="MatVecTests.RandomWeights"/>), interleaved as the converter writes them.</summary>
    private static byte[] InterleavedWeights(Random rng, GgmlType type, int rows, int cols)
    {
        GgmlType plain = type == GgmlType.Q8_0_R8 ? GgmlType.Q8_0 : GgmlType.Q4_0;
        byte[] p = MatVecTests.RandomWeights(rng, plain, rows, cols);
        byte[] w = new byte[p.Length];
        RowInterleave.Interleave(plain, p, w, rows, cols);
        return w;
    }

    private static Q8Activations Activations(Random rng, int cols, int tokens)
    {
        var xq = new Q8Activations(cols, tokens);
        for (int t = 0; t < tokens; t++)
        {
            xq.QuantizeRow(t, BlockFormatTests.RandomVector(rng, cols));
        }

        xq.SetLength(cols);
        return xq;
    }

    private static float[] Filled(int n)
    {
        float[] y = new float[n];
        Array.Fill(y, BitConverter.Int32BitsToSingle(Sentinel));
        return y;
    }

    private static void AssertSameBits(float[] y, float[] yRef, int stride)
    {
        Assert.That(yRef.Any(v => v != 0f && BitConverter.SingleToInt32Bits(v) != Sentinel), "the reference wrote non-zero outputs");
        for (int i = 0; i < y.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(y[i]) != BitConverter.SingleToInt32Bits(yRef[i]))
            {
                Assert.Fail($"token {i / stride} row {i % stride}: {y[i]:R} != reference {yRef[i]:R}");
            }
        }
    }
}
