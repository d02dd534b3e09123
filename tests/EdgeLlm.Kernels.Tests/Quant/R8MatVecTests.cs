using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Threading;

namespace EdgeLlm.Kernels.Tests.Quant;

/// <summary>
/// The row-interleaved types (docs/interleaved.md) on every kernel path this CPU runs against the plain type on the
/// scalar reference: the same random plain matrix, interleaved by <see cref="RowInterleave"/>, must give the oracle's
/// block sums and the plain reference's floats bit for bit — single thread, row ranges that start and end inside a
/// group of eight, and through the pool. Built for arm64 too, so the qemu run checks the arm64 twins the same way.
/// </summary>
public unsafe class R8MatVecTests
{
    private static readonly int[] Widths = [32, 64, 576, 1536];
    private static readonly int[] RowCounts = [8, 16, 24, 584];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (KernelPath path in MatVecTests.Paths())
        {
            foreach (GgmlType type in new[] { GgmlType.Q8_0_R8, GgmlType.Q4_0_R8 })
            {
                foreach (int cols in Widths)
                {
                    foreach (int rows in RowCounts)
                    {
                        yield return new TestCaseData(path, type, rows, cols).SetArgDisplayNames(path.ToString(), type.ToString(), $"{rows}x{cols}");
                    }
                }
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void InterleavedIsBitExactWithThePlainReference(KernelPath path, GgmlType type, int rows, int cols)
    {
        MatVecTests.RequireSupported(path);
        GgmlType plain = GgmlTypeInfo.Plain(type);
        var rng = new Random((rows * 7919) + (cols * 31) + (int)type);
        byte[] w = MatVecTests.RandomWeights(rng, plain, rows, cols);
        byte[] wr = new byte[w.Length];
        RowInterleave.Interleave(plain, w, wr, rows, cols);
        Assert.That(wr, Is.Not.EqualTo(w), "the layout must differ from the plain one, or this test proves nothing");
        Q8Activations xq = MatVecTests.RandomActivations(rng, cols);
        int nb = cols / 32;
        int[] oracle = MatVecTests.OracleSums(plain, w, rows, cols, xq);

        fixed (byte* pw = w)
        fixed (byte* pr = wr)
        {
            var m = new WeightMatrix(plain, pw, rows, cols);
            var mr = new WeightMatrix(type, pr, rows, cols);
            float[] yRef = new float[rows];
            MatVec.RowsWithBlockSums(m, xq, yRef, KernelTable.Reference, 0, rows, new int[rows * nb]);

            foreach (bool streaming in new[] { false, true })
            {
                KernelTable k = KernelTable.For(path, streaming);
                float[] y = new float[rows];
                int[] sums = new int[rows * nb];
                MatVec.RowsWithBlockSums(mr, xq, y, k, 0, rows, sums);
                Assert.That(sums, Is.EqualTo(oracle), $"block sums (streaming {streaming})");
                AssertBitEqual(y, yRef, 0, rows, $"all rows (streaming {streaming})");

                // a range that starts and ends inside a group: partial groups plus whole ones
                int r0 = 3, r1 = rows - 5;
                float[] yPart = new float[rows];
                MatVec.RowsWithBlockSums(mr, xq, yPart, k, r0, r1, new int[rows * nb]);
                AssertBitEqual(yPart, yRef, r0, r1, $"rows {r0}..{r1} (streaming {streaming})");
            }

            using var pool = new WorkerPool(2);
            float[] y2 = new float[rows];
            MatVec.Multiply(mr, default, xq, y2, pool, KernelTable.For(path));
            AssertBitEqual(y2, yRef, 0, rows, "two threads");
        }
    }

    [Test]
    public void AMatrixWhoseRowsDoNotFillGroupsIsRefused()
    {
        byte* p = stackalloc byte[34 * 12];
        var e = Assert.Throws<ArgumentException>(() => _ = new WeightMatrix(GgmlType.Q8_0_R8, p, 12, 32));
        Assert.That(e!.Message, Does.Contain("multiple of 8"));
    }

    private static void AssertBitEqual(float[] actual, float[] expected, int r0, int r1, string what)
    {
        for (int i = r0; i < r1; i++)
        {
            Assert.That(BitConverter.SingleToInt32Bits(actual[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[i])), $"{what}: row {i} ({actual[i]} vs {expected[i]})");
        }
    }
}
