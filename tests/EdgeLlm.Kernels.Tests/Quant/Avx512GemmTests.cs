using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Threading;

namespace EdgeLlm.Kernels.Tests.Quant;

/// <summary>
/// The 512-bit Q8_0 prefill tile of <see cref="KernelPath.Avx512"/> (int16 operands, sixteen rows per vector, eight
/// or four tokens per pass) against its scalar twin, the single-token reference kernel per token: every output
/// bit-identical, for every batch size a prefill can have (1..64: full eight-token passes, a short four-token last
/// pass, a repeated last token), a row count that leaves rows for the matrix × vector kernel, every weight matrix
/// shape of MobileLLM-125M and -350M, weight bytes at −128/±127 and activations that reach ±127.
/// </summary>
public unsafe class Avx512GemmTests
{
    public static IEnumerable<int> BatchSizes() => Enumerable.Range(1, 64);

    /// <summary>Called directly: the tile widens the activations itself (nothing prepared <see cref="MatVecArgs.X16"/>).</summary>
    [TestCaseSource(nameof(BatchSizes))]
    public void EveryBatchSizeIsBitExactWithTheScalarReference(int tokens)
    {
        MatVecTests.RequireSupported(KernelPath.Avx512);
        const int rows = 37, cols = 160; // two 16-row tiles and 5 rows left for the matrix × vector kernel
        var rng = new Random(1000 + tokens);
        byte[] w = MatVecTests.RandomWeights(rng, GgmlType.Q8_0, rows, cols);
        var xq = new Q8Activations(cols, tokens);
        for (int t = 0; t < tokens; t++)
        {
            xq.QuantizeRow(t, BlockFormatTests.RandomVector(rng, cols));
        }

        xq.SetLength(cols);
        float[] y = new float[tokens * rows], yRef = new float[tokens * rows];
        fixed (byte* pw = w)
        fixed (float* py = y, pr = yRef)
        {
            var m = new WeightMatrix(GgmlType.Q8_0, pw, rows, cols);
            X86Avx512Gemm.Q8_0(TileArgs.For(m, xq, tokens, py, rows), 0, rows);
            ScalarGemm.Q8_0(TileArgs.For(m, xq, tokens, pr, rows), 0, rows);
            GC.KeepAlive(xq); // the kernel read its pinned arrays through raw pointers
        }

        AssertSameBits(y, yRef, rows);
    }

    public static IEnumerable<TestCaseData> MobileLlmShapes()
    {
        // (rows, cols): Q, K/V, gate/up, down of MobileLLM-125M (dim 576, KV 192, hidden 1536) and -350M (960, 320, 2560)
        foreach ((int rows, int cols) in new[] { (576, 576), (192, 576), (1536, 576), (576, 1536), (960, 960), (320, 960), (2560, 960), (960, 2560) })
        {
            foreach (int tokens in new[] { 64, 13 })
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    yield return new TestCaseData(rows, cols, tokens, threads).SetArgDisplayNames($"{rows}x{cols}", $"{tokens}tok", $"{threads}t");
                }
            }
        }
    }

    /// <summary>Through the model's dispatch: the activations widened once by the table, chunks on the pool.</summary>
    [TestCaseSource(nameof(MobileLlmShapes))]
    public void MobileLlmShapesAreBitExactWithTheScalarReference(int rows, int cols, int tokens, int threads)
    {
        MatVecTests.RequireSupported(KernelPath.Avx512);
        var rng = new Random((rows * 31) + cols + tokens);
        byte[] w = MatVecTests.RandomWeights(rng, GgmlType.Q8_0, rows, cols);
        var xq = new Q8Activations(cols, tokens);
        for (int t = 0; t < tokens; t++)
        {
            xq.QuantizeRow(t, BlockFormatTests.RandomVector(rng, cols));
        }

        xq.SetLength(cols);
        float[] y = new float[tokens * rows], yRef = new float[tokens * rows];
        KernelTable k = KernelTable.For(KernelPath.Avx512);
        Assert.That(k.WidenQ8 != null, "the Avx512 table widens the activations once per dispatch");
        using var pool = new WorkerPool(threads) { Adaptive = false };
        fixed (byte* pw = w)
        fixed (float* py = y, pr = yRef)
        {
            var m = new WeightMatrix(GgmlType.Q8_0, pw, rows, cols);
            MatVec.MultiplyFused(pool, k, null, 0, xq, tokens, rows, m, py);
            ScalarGemm.Q8_0(TileArgs.For(m, xq, tokens, pr, rows), 0, rows);
            GC.KeepAlive(xq); // the kernel read its pinned arrays through raw pointers
        }

        AssertSameBits(y, yRef, rows);
    }

    [Test]
    public void Avx512IsPreferredOverAvx2AndWidensOnlyForItsTile()
    {
        MatVecTests.RequireSupported(KernelPath.Avx512);
        KernelPath expected = KernelSelector.IsSupported(KernelPath.AvxVnni) ? KernelPath.AvxVnni : KernelPath.Avx512;
        Assert.That(KernelSelector.Best, Is.EqualTo(expected), "AVX-512BW is preferred over AVX2 where both run, AVX-VNNI over both");
        Assert.That(KernelTable.For(KernelPath.Avx512).WidenQ8 != null, "the Avx512 Q8_0 tile reads int16 activations");
        Assert.That(KernelTable.For(KernelPath.Avx2).WidenQ8 == null, "the AVX2 tiles read int8 activations");
    }

    private static void AssertSameBits(float[] y, float[] yRef, int rows)
    {
        Assert.That(yRef.Any(v => v != 0f), "the reference is not all zeros");
        for (int i = 0; i < y.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(y[i]) != BitConverter.SingleToInt32Bits(yRef[i]))
            {
                Assert.Fail($"token {i / rows} row {i % rows}: {y[i]:R} != reference {yRef[i]:R}");
            }
        }
    }
}
