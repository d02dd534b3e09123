using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Threading;

namespace EdgeLlm.Kernels.Tests.Quant;

/// <summary>
/// The batched (prefill) matrix × matrix products and the fused multi-matrix dispatch against the single-token
/// kernels: every output must be bit-identical to <see cref="MatVec.Multiply"/> on the scalar reference path for
/// quantized weights (every path's prefill tiles: x86 eight rows, arm64 four rows × two tokens, and the scalar
/// reference, the matrix × vector kernel per token) and on the same path for float weights.
/// </summary>
public unsafe class MatMulTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (KernelPath path in MatVecTests.Paths())
        {
            foreach (GgmlType type in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.F32, GgmlType.F16 })
            {
                foreach ((int rows, int cols) in new[] { (1, 32), (7, 64), (68, 576), (37, 1536) })
                {
                    foreach (int tokens in new[] { 1, 3, 4, 9 })
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

    [TestCaseSource(nameof(Cases))]
    public void BatchedProductIsBitExactWithSingleTokenReference(KernelPath path, GgmlType type, int rows, int cols, int tokens, int threads)
    {
        MatVecTests.RequireSupported(path);
        var rng = new Random(unchecked((((((int)type * 31) + rows) * 31) + cols) * 31) + tokens);
        byte[] w = MatVecTests.RandomWeights(rng, type, rows, cols);
        int cap = cols;
        var xq = new Q8Activations(cap, tokens);
        float[] x = new float[tokens * cols];
        for (int t = 0; t < tokens; t++)
        {
            float[] row = BlockFormatTests.RandomVector(rng, cols);
            row.CopyTo(x, t * cols);
            xq.QuantizeRow(t, row);
        }

        bool quantized = type is GgmlType.Q8_0 or GgmlType.Q4_0;
        KernelPath refPath = quantized ? KernelPath.Scalar : path;
        int yStride = rows + 3; // deliberately not the row count
        float[] y = new float[tokens * yStride];
        float[] yRef = new float[tokens * yStride];
        fixed (byte* pw = w)
        fixed (float* px = x, py = y)
        {
            var m = new WeightMatrix(type, pw, rows, cols);
            using var refPool = new WorkerPool(1);
            KernelTable krefPool = KernelTable.For(refPath);
            var one = new Q8Activations(cap);
            for (int t = 0; t < tokens; t++)
            {
                float[] row = x.AsSpan(t * cols, cols).ToArray();
                one.Quantize(row);
                MatVec.Multiply(m, row, one, yRef.AsSpan(t * yStride, rows), refPool, krefPool);
            }

            using var pool = new WorkerPool(threads);
            KernelTable kpool = KernelTable.For(path);
            MatVec.MultiplyFused(pool, kpool, px, cols, xq, tokens, yStride, m, py);
        }

        for (int i = 0; i < y.Length; i++)
        {
            Assert.That(BitConverter.SingleToInt32Bits(y[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(yRef[i])), $"token {i / yStride} row {i % yStride}");
        }
    }

    /// <summary>
    /// Both AVX2 Q8_0 tile shapes (two tokens per pass, for 16-register machines, and four, for 32) whichever this
    /// machine uses in production, with token counts that leave 1–3 tokens for the last pass and 64 (a full batch).
    /// </summary>
    [Test]
    public void BothAvx2Q8TileShapesAreBitExactWithTheScalarReference([Values(false, true)] bool wide, [Values(1, 2, 3, 5, 64)] int tokens)
    {
        MatVecTests.RequireSupported(KernelPath.Avx2);
        const int rows = 40, cols = 160; // two 16-row tiles and 8 rows left for the matrix × vector kernel
        var rng = new Random(tokens + (wide ? 1000 : 0));
        byte[] w = MatVecTests.RandomWeights(rng, GgmlType.Q8_0, rows, cols);
        var xq = new Q8Activations(cols, tokens);
        var one = new Q8Activations(cols);
        float[] y = new float[tokens * rows], yRef = new float[tokens * rows];
        using var refPool = new WorkerPool(1);
        KernelTable scalar = KernelTable.For(KernelPath.Scalar);
        fixed (byte* pw = w)
        fixed (float* py = y)
        {
            var m = new WeightMatrix(GgmlType.Q8_0, pw, rows, cols);
            for (int t = 0; t < tokens; t++)
            {
                float[] row = BlockFormatTests.RandomVector(rng, cols);
                xq.QuantizeRow(t, row);
                one.Quantize(row);
                MatVec.Multiply(m, row, one, yRef.AsSpan(t * rows, rows), refPool, scalar);
            }

            MatVecArgs a = TileArgs.For(m, xq, tokens, py, rows);
            X86Gemm.TwoPlanes(a, 0, rows, wide);
            GC.KeepAlive(xq); // the kernel read its pinned arrays through raw pointers
        }

        for (int i = 0; i < y.Length; i++)
        {
            Assert.That(BitConverter.SingleToInt32Bits(y[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(yRef[i])), $"token {i / rows} row {i % rows}");
        }
    }

    /// <summary>
    /// The one-plane tiles (Q8_0 as w + 128, Q4_0 nibbles) with <see cref="EmulatedVnniStep"/>, a plain-integer model
    /// of vpdpbusd: the VNNI tile layout and its −128·Σx / −8·Σx corrections are checked on every CPU, the instruction
    /// itself by the AvxVnni cases above where the CPU has it.
    /// </summary>
    [Test]
    public void OnePlaneTilesWithEmulatedVnniAreBitExactWithTheScalarReference([Values(GgmlType.Q8_0, GgmlType.Q4_0)] GgmlType type, [Values(1, 4, 7, 64)] int tokens)
    {
        MatVecTests.RequireSupported(KernelPath.Avx2); // the tile's unpacking uses AVX2
        const int rows = 40, cols = 96;
        var rng = new Random(tokens + (31 * (int)type));
        byte[] w = MatVecTests.RandomWeights(rng, type, rows, cols);
        var xq = new Q8Activations(cols, tokens);
        var one = new Q8Activations(cols);
        float[] y = new float[tokens * rows], yRef = new float[tokens * rows];
        using var refPool = new WorkerPool(1);
        KernelTable scalar = KernelTable.For(KernelPath.Scalar);
        fixed (byte* pw = w)
        fixed (float* py = y)
        {
            var m = new WeightMatrix(type, pw, rows, cols);
            for (int t = 0; t < tokens; t++)
            {
                float[] row = BlockFormatTests.RandomVector(rng, cols);
                xq.QuantizeRow(t, row);
                one.Quantize(row);
                MatVec.Multiply(m, row, one, yRef.AsSpan(t * rows, rows), refPool, scalar);
            }

            MatVecArgs a = TileArgs.For(m, xq, tokens, py, rows);
            X86Gemm.OnePlane<EmulatedVnniStep>(a, 0, rows, type == GgmlType.Q8_0);
            GC.KeepAlive(xq); // the kernel read its pinned arrays through raw pointers
        }

        for (int i = 0; i < y.Length; i++)
        {
            Assert.That(BitConverter.SingleToInt32Bits(y[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(yRef[i])), $"token {i / rows} row {i % rows}");
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    public void FusedDispatchOfThreeMatricesEqualsThreeProducts(int threads)
    {
        var rng = new Random(42);
        const int cols = 576;
        int[] rowCounts = [576, 192, 190];
        byte[][] ws = rowCounts.Select(r => MatVecTests.RandomWeights(rng, GgmlType.Q8_0, r, cols)).ToArray();
        var xq = MatVecTests.RandomActivations(rng, cols);
        using var pool = new WorkerPool(threads);
        float[][] sep = rowCounts.Select(r => new float[r]).ToArray();
        float[][] fused = rowCounts.Select(r => new float[r]).ToArray();
        fixed (byte* p0 = ws[0], p1 = ws[1], p2 = ws[2])
        fixed (float* y0 = fused[0], y1 = fused[1], y2 = fused[2])
        {
            var m = new[] { new WeightMatrix(GgmlType.Q8_0, p0, 576, cols), new WeightMatrix(GgmlType.Q8_0, p1, 192, cols), new WeightMatrix(GgmlType.Q8_0, p2, 190, cols) };
            for (int i = 0; i < 3; i++)
            {
                MatVec.Multiply(m[i], default, xq, sep[i], pool, KernelTable.Best);
            }

            MatVec.MultiplyFused(pool, KernelTable.Best, null, 0, xq, 1, 0, m[0], y0, m[1], y1, m[2], y2);
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.That(fused[i], Is.EqualTo(sep[i]), $"matrix {i}");
        }
    }

    [Test]
    public void BatchedProductDoesNotAllocate()
    {
        var rng = new Random(8);
        const int rows = 64, cols = 576, tokens = 16;
        byte[] w = MatVecTests.RandomWeights(rng, GgmlType.Q8_0, rows, cols);
        var xq = new Q8Activations(cols, tokens);
        for (int t = 0; t < tokens; t++)
        {
            xq.QuantizeRow(t, BlockFormatTests.RandomVector(rng, cols));
        }

        float[] y = new float[rows * tokens];
        using var pool = new WorkerPool(2);
        fixed (byte* pw = w)
        fixed (float* py = y)
        {
            var m = new WeightMatrix(GgmlType.Q8_0, pw, rows, cols);
            for (int i = 0; i < 20; i++)
            {
                MatVec.MultiplyFused(pool, KernelTable.Best, null, 0, xq, tokens, rows, m, py);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++)
            {
                MatVec.MultiplyFused(pool, KernelTable.Best, null, 0, xq, tokens, rows, m, py);
            }

            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        }
    }
}
