using System.Runtime.InteropServices;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Threading;

namespace EdgeLlm.Kernels.Tests.Quant;

/// <summary>
/// The arm64 kernels of the row-interleaved types (<see cref="ArmR8Kernels"/>, <see cref="ArmR8Gemm"/>) on every arm64
/// path this CPU runs (scripts/test-arm64: AdvSimd under qemu as cortex-a53, both under cortex-a76) against the scalar
/// reference: the same int32 block sums as an oracle computed from the plain bytes, and outputs bit-identical to
/// <see cref="ScalarKernels.Q8_0R8{TSink}"/> / <see cref="ScalarGemm.Q8_0R8"/> (and to the plain matrix's scalar
/// kernel), for full matrices and for row ranges not aligned to a group of eight. Every case first checks that the
/// path's table really holds the arm64 kernel, not the scalar fallback.
/// </summary>
public unsafe class ArmR8KernelTests
{
    private static readonly (int Rows, int Cols)[] MatVecShapes = [(8, 32), (16, 64), (24, 576), (40, 1536)];

    /// <summary>Row ranges: whole groups, both ends inside a group, inside one group, one group exactly.</summary>
    private static readonly Func<int, (int R0, int R1)>[] Ranges = [n => (0, n), n => (3, n - 5), n => (1, 7), n => (8, Math.Min(n, 16)), n => (5, n)];

    public static IEnumerable<KernelPath> ArmPaths() =>
        new[] { KernelPath.AdvSimd, KernelPath.ArmDotProd }.Where(KernelSelector.IsSupported);

    public static IEnumerable<TestCaseData> MatVecCases()
    {
        foreach (KernelPath path in ArmPaths())
        {
            foreach (GgmlType type in new[] { GgmlType.Q8_0_R8, GgmlType.Q4_0_R8 })
            {
                foreach ((int rows, int cols) in MatVecShapes)
                {
                    yield return new TestCaseData(path, type, rows, cols).SetArgDisplayNames(path.ToString(), type.ToString(), $"{rows}x{cols}");
                }
            }
        }
    }

    public static IEnumerable<TestCaseData> GemmCases()
    {
        foreach (KernelPath path in ArmPaths())
        {
            foreach (GgmlType type in new[] { GgmlType.Q8_0_R8, GgmlType.Q4_0_R8 })
            {
                // every token count 1..70 on a small matrix; the two-token steps and an odd last token on wider ones
                yield return new TestCaseData(path, type, 24, 96, Enumerable.Range(1, 70).ToArray())
                    .SetArgDisplayNames(path.ToString(), type.ToString(), "24x96", "1..70 tokens");
                yield return new TestCaseData(path, type, 40, 1536, new[] { 1, 2, 5, 16, 33, 70 })
                    .SetArgDisplayNames(path.ToString(), type.ToString(), "40x1536", "1,2,5,16,33,70 tokens");

                // more blocks than the tile's stack buffers take: the matrix × vector kernel per token
                yield return new TestCaseData(path, type, 8, (X86Gemm.MaxBlocks + 1) * 32, new[] { 3 })
                    .SetArgDisplayNames(path.ToString(), type.ToString(), $"8x{(X86Gemm.MaxBlocks + 1) * 32}", "3 tokens");
            }
        }
    }

    /// <summary>Under scripts/test-arm64 the path the emulated CPU must select has its cases here (they are not vacuously empty).</summary>
    [Test]
    public void TheExpectedArmPathIsAmongThoseTested()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.Arm64)
        {
            Assert.Ignore("arm64 kernels: scripts/test-arm64 runs them under qemu");
        }

        // every arm64 CPU has AdvSIMD; under scripts/test-arm64 the path the emulated CPU selects must be tested too
        string expected = Environment.GetEnvironmentVariable("EDGELLM_EXPECT_KERNEL") is { Length: > 0 } e ? e : nameof(KernelPath.AdvSimd);
        Assert.That(ArmPaths().Select(p => p.ToString()), Does.Contain(expected));
        Assert.That(MatVecCases().Count(c => c.Arguments[0]!.ToString() == expected), Is.EqualTo(2 * MatVecShapes.Length));
    }

    [TestCaseSource(nameof(MatVecCases))]
    public void InterleavedMatVecIsBitExactWithScalar(KernelPath path, GgmlType type, int rows, int cols)
    {
        KernelTable k = KernelTable.For(path), reference = KernelTable.Reference;
        AssertTableHoldsArmKernels(k, path);
        GgmlType plainType = Plain(type);
        var rng = new Random((((int)type * 31) + rows) * 31 + cols);
        byte[] plain = Weights(rng, plainType, rows, cols);
        byte[] w = new byte[plain.Length];
        RowInterleave.Interleave(plainType, plain, w, rows, cols);
        Q8Activations xq = Activations(rng, cols, 1);
        int nb = cols / 32;
        int[] oracle = MatVecTests.OracleSums(plainType, plain, rows, cols, xq);
        if (plainType == GgmlType.Q8_0 && nb > 1)
        {
            Assert.That(oracle[(2 * nb) + nb - 1], Is.EqualTo(32 * 128 * 127), "row 2, last block: the largest block sum (all −128 against all −127)");
        }

        fixed (byte* pw = w, pp = plain)
        {
            var m = new WeightMatrix(type, pw, rows, cols);
            var mp = new WeightMatrix(plainType, pp, rows, cols);

            // the reference on the interleaved matrix: the oracle's sums and the plain matrix's bits
            float[] yRef = new float[rows], yPlain = new float[rows];
            int[] sumsRef = new int[rows * nb];
            MatVec.RowsWithBlockSums(m, xq, yRef, reference, 0, rows, sumsRef);
            MatVec.RowsWithBlockSums(mp, xq, yPlain, reference, 0, rows, new int[rows * nb]);
            Assert.That(sumsRef, Is.EqualTo(oracle), "scalar sums vs oracle");
            AssertBitEqual(yRef, yPlain, "interleaved vs plain scalar");

            foreach (Func<int, (int, int)> range in Ranges)
            {
                (int r0, int r1) = range(rows);
                if (r0 >= r1)
                {
                    continue;
                }

                // the recording variant: block sums and outputs
                float[] y = new float[rows], yr = new float[rows];
                int[] sums = new int[rows * nb], sr = new int[rows * nb];
                MatVec.RowsWithBlockSums(m, xq, yr, reference, r0, r1, sr);
                MatVec.RowsWithBlockSums(m, xq, y, k, r0, r1, sums);
                Assert.That(sums, Is.EqualTo(sr), $"block sums, rows [{r0}, {r1})");
                AssertBitEqual(y, yr, $"recording kernel, rows [{r0}, {r1})");
                for (int i = r0 * nb; i < r1 * nb; i++)
                {
                    Assert.That(sums[i], Is.EqualTo(oracle[i]), $"sum {i} vs oracle, rows [{r0}, {r1})");
                }

                // the production variant (no sink), called as the pool does
                float[] yn = new float[rows];
                fixed (float* py = yn)
                {
                    MatVecArgs a = Args(m, xq, py, 1, rows, k);
                    a.Quantized(a, r0, r1, default);
                    GC.KeepAlive(xq); // the kernel read its pinned arrays through raw pointers
                }

                AssertBitEqual(yn, yr, $"production kernel, rows [{r0}, {r1})");
            }

            // through the pool on two threads
            using var pool = new WorkerPool(2);
            float[] y2 = new float[rows];
            MatVec.Multiply(m, default, xq, y2, pool, k);
            AssertBitEqual(y2, yRef, "two threads");
        }
    }

    [TestCaseSource(nameof(GemmCases))]
    public void InterleavedPrefillIsBitExactWithScalarGemm(KernelPath path, GgmlType type, int rows, int cols, int[] tokenCounts)
    {
        KernelTable k = KernelTable.For(path), reference = KernelTable.Reference;
        AssertTableHoldsArmKernels(k, path);
        GgmlType plainType = Plain(type);
        var rng = new Random((((int)type * 31) + rows) * 31 + cols + 7);
        byte[] plain = Weights(rng, plainType, rows, cols);
        byte[] w = new byte[plain.Length];
        RowInterleave.Interleave(plainType, plain, w, rows, cols);
        int yStride = rows + 3; // deliberately not the row count
        using var pool = new WorkerPool(2);
        fixed (byte* pw = w)
        {
            var m = new WeightMatrix(type, pw, rows, cols);
            foreach (int tokens in tokenCounts)
            {
                Q8Activations xq = Activations(rng, cols, tokens);
                float[] yRef = new float[tokens * yStride];
                fixed (float* pr = yRef)
                {
                    MatVecArgs ar = Args(m, xq, pr, tokens, yStride, reference);
                    ar.Gemm(ar, 0, rows);
                    GC.KeepAlive(xq); // the kernel read its pinned arrays through raw pointers
                }

                foreach (Func<int, (int, int)> range in Ranges)
                {
                    (int r0, int r1) = range(rows);
                    if (r0 >= r1)
                    {
                        continue;
                    }

                    float[] y = new float[tokens * yStride], yr = new float[tokens * yStride];
                    fixed (float* py = y, pr = yr)
                    {
                        MatVecArgs ar = Args(m, xq, pr, tokens, yStride, reference);
                        ar.Gemm(ar, r0, r1);
                        MatVecArgs a = Args(m, xq, py, tokens, yStride, k);
                        a.Gemm(a, r0, r1);
                        GC.KeepAlive(xq); // the kernel read its pinned arrays through raw pointers
                    }

                    AssertBitEqual(y, yr, $"{tokens} tokens, rows [{r0}, {r1})");
                }

                // the dispatch prefill uses: the table's tile through the pool on two threads
                float[] y2 = new float[tokens * yStride];
                fixed (float* py = y2)
                {
                    MatVec.MultiplyFused(pool, k, null, 0, xq, tokens, yStride, m, py);
                }

                AssertBitEqual(y2, yRef, $"{tokens} tokens, two threads");
            }
        }
    }

    /// <summary>
    /// The path's table holds the arm64 interleaved kernels of its dot product, not the scalar fallback (entry points
    /// compared as addresses: one method instantiation has one stable entry point in a process).
    /// </summary>
    private static void AssertTableHoldsArmKernels(KernelTable k, KernelPath path)
    {
        Assert.That(k.Path, Is.EqualTo(path));
        bool sdot = path == KernelPath.ArmDotProd;
        delegate*<in MatVecArgs, int, int, NoSink, void> q8 = sdot ? &ArmR8Kernels.Q8_0<SdotDot, NoSink> : &ArmR8Kernels.Q8_0<AdvSimdDot, NoSink>;
        delegate*<in MatVecArgs, int, int, NoSink, void> q4 = sdot ? &ArmR8Kernels.Q4_0<SdotDot, NoSink> : &ArmR8Kernels.Q4_0<AdvSimdDot, NoSink>;
        delegate*<in MatVecArgs, int, int, RecordSink, void> s8 = sdot ? &ArmR8Kernels.Q8_0<SdotDot, RecordSink> : &ArmR8Kernels.Q8_0<AdvSimdDot, RecordSink>;
        delegate*<in MatVecArgs, int, int, RecordSink, void> s4 = sdot ? &ArmR8Kernels.Q4_0<SdotDot, RecordSink> : &ArmR8Kernels.Q4_0<AdvSimdDot, RecordSink>;
        delegate*<in MatVecArgs, int, int, void> g8 = sdot ? &ArmR8Gemm.Q8_0<SdotDot> : &ArmR8Gemm.Q8_0<AdvSimdDot>;
        delegate*<in MatVecArgs, int, int, void> g4 = sdot ? &ArmR8Gemm.Q4_0<SdotDot> : &ArmR8Gemm.Q4_0<AdvSimdDot>;
        Assert.That((nint)k.MatVecQ8_0R8, Is.EqualTo((nint)q8).And.Not.EqualTo((nint)KernelTable.Reference.MatVecQ8_0R8), "MatVecQ8_0R8");
        Assert.That((nint)k.MatVecQ4_0R8, Is.EqualTo((nint)q4).And.Not.EqualTo((nint)KernelTable.Reference.MatVecQ4_0R8), "MatVecQ4_0R8");
        Assert.That((nint)k.SumsQ8_0R8, Is.EqualTo((nint)s8).And.Not.EqualTo((nint)KernelTable.Reference.SumsQ8_0R8), "SumsQ8_0R8");
        Assert.That((nint)k.SumsQ4_0R8, Is.EqualTo((nint)s4).And.Not.EqualTo((nint)KernelTable.Reference.SumsQ4_0R8), "SumsQ4_0R8");
        Assert.That((nint)k.GemmQ8_0R8, Is.EqualTo((nint)g8).And.Not.EqualTo((nint)KernelTable.Reference.GemmQ8_0R8), "GemmQ8_0R8");
        Assert.That((nint)k.GemmQ4_0R8, Is.EqualTo((nint)g4).And.Not.EqualTo((nint)KernelTable.Reference.GemmQ4_0R8), "GemmQ4_0R8");
    }

    private static GgmlType Plain(GgmlType type) => type == GgmlType.Q8_0_R8 ? GgmlType.Q8_0 : GgmlType.Q4_0;

    /// <summary>
    /// <see cref="MatVecTests.RandomWeights"/> with the extremes forced where every shape has them: Q8_0 row 0 block 0
    /// −128, −127, 127 and 0, row 2's last block all −128; Q4_0 row 0 block 0 every low and every high nibble value.
    /// </summary>
    private static byte[] Weights(Random rng, GgmlType plain, int rows, int cols)
    {
        byte[] w = MatVecTests.RandomWeights(rng, plain, rows, cols);
        int bb = GgmlTypeInfo.BlockBytes(plain);
        long rb = GgmlTypeInfo.RowBytes(plain, cols);
        w[0] = 0x00;
        w[1] = 0x3C; // d = 1
        if (plain == GgmlType.Q8_0)
        {
            for (int j = 0; j < 32; j++)
            {
                int v = (j % 4) switch { 0 => -128, 1 => -127, 2 => 127, _ => 0 };
                w[2 + j] = (byte)(sbyte)v;
                w[(2 * rb) + ((cols / 32) - 1) * bb + 2 + j] = 0x80;
            }

            Assert.That(Enumerable.Range(0, rows * (cols / 32)).Any(b => Enumerable.Range(2, 32).Any(j => w[(b * bb) + j] == 0x80)), Is.True);
        }
        else
        {
            for (int j = 0; j < 16; j++)
            {
                w[2 + j] = (byte)(j | ((15 - j) << 4));
            }

            Assert.That(Enumerable.Range(0, 16).All(v => w.Skip(2).Take(16).Any(q => (q & 0x0F) == v) && w.Skip(2).Take(16).Any(q => q >> 4 == v)), Is.True);
        }

        return w;
    }

    /// <summary>
    /// Rows of activations with normal blocks, all-zero blocks and blocks of all ±127; in row 0, block 0 random (so a
    /// one-block matrix is never all zero or uniform) and, when there are more, the last block all −127.
    /// </summary>
    private static Q8Activations Activations(Random rng, int cols, int tokens)
    {
        var xq = new Q8Activations(cols, tokens);
        for (int t = 0; t < tokens; t++)
        {
            float[] x = BlockFormatTests.RandomVector(rng, cols);
            for (int b = 0; b < cols / 32; b++)
            {
                int kind = t > 0 ? rng.Next(6) : b == 0 ? 3 : b == (cols / 32) - 1 ? 2 : rng.Next(6);
                for (int j = 0; j < 32; j++)
                {
                    x[(b * 32) + j] = kind switch
                    {
                        0 => 0f,
                        1 => rng.Next(2) == 0 ? 3f : -3f,
                        2 => -3f,
                        _ => x[(b * 32) + j],
                    };
                }
            }

            xq.QuantizeRow(t, x);
        }

        return xq;
    }

    private static MatVecArgs Args(in WeightMatrix m, Q8Activations xq, float* y, int tokens, int yStride, KernelTable k)
    {
        MatVecArgs a = TileArgs.For(m, xq, tokens, y, yStride);
        a.Quantized = m.Type == GgmlType.Q8_0_R8 ? k.MatVecQ8_0R8 : k.MatVecQ4_0R8;
        a.Gemm = m.Type == GgmlType.Q8_0_R8 ? k.GemmQ8_0R8 : k.GemmQ4_0R8;
        return a;
    }

    private static void AssertBitEqual(float[] actual, float[] expected, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
            {
                Assert.Fail($"{what}: index {i}: {actual[i]:R} != {expected[i]:R}");
            }
        }
    }
}
