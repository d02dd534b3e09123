using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Tests.Model;
using EdgeLlm.Kernels.Tests.Quant;

namespace EdgeLlm.Kernels.Tests.Import;

/// <summary>
/// The row-interleaved layout (docs/interleaved.md): its definition, the converter that writes it, and the trained
/// model on it (whole random models on every path: <see cref="Model.InterleavedModelTests"/>; llama.cpp's refusal:
/// <see cref="Gguf.GgufLlamaCppCompatibilityTests"/>).
/// </summary>
public class R8LayoutTests
{
    [TestCase(GgmlType.Q8_0, 8, 32)]
    [TestCase(GgmlType.Q8_0, 24, 96)]
    [TestCase(GgmlType.Q4_0, 8, 32)]
    [TestCase(GgmlType.Q4_0, 16, 160)]
    public void OffsetIsAPermutationOfTheMatrixBytes(GgmlType plain, int rows, int cols)
    {
        int nb = cols / 32, bb = GgmlTypeInfo.BlockBytes(plain);
        long total = (long)rows * nb * bb;
        var seen = new bool[total];
        for (int r = 0; r < rows; r++)
        {
            for (int b = 0; b < nb; b++)
            {
                for (int i = 0; i < bb; i++)
                {
                    long o = RowInterleave.Offset(plain, r, b, i, nb);
                    Assert.That(o, Is.InRange(0, total - 1));
                    Assert.That(seen[o], Is.False, $"offset {o} taken twice");
                    seen[o] = true;
                }
            }
        }
    }

    /// <summary>The offsets the document gives, computed here by hand for one byte of each kind.</summary>
    [Test]
    public void OffsetsAreTheDocumentedOnes()
    {
        const int nb = 4; // 128 columns
        // Q8_0, row 13 = group 1, lane 5; block 2; element 9 = plain byte 11 → unit 2, byte 1 of the lane's four
        Assert.That(RowInterleave.Offset(GgmlType.Q8_0, 13, 2, 2 + 9, nb), Is.EqualTo((((1 * nb) + 2) * 272) + 16 + (2 * 32) + (5 * 4) + 1));
        // its scale's high byte
        Assert.That(RowInterleave.Offset(GgmlType.Q8_0, 13, 2, 1, nb), Is.EqualTo((((1 * nb) + 2) * 272) + (2 * 5) + 1));
        // Q4_0, row 6 = group 0, lane 6; block 3; quant byte 14 (elements 14 and 30) → unit 3, byte 2
        Assert.That(RowInterleave.Offset(GgmlType.Q4_0, 6, 3, 2 + 14, nb), Is.EqualTo((3 * 144) + 16 + (3 * 32) + (6 * 4) + 2));
    }

    [TestCase(GgmlType.Q8_0)]
    [TestCase(GgmlType.Q4_0)]
    public void InterleaveThenDeinterleaveIsTheIdentityAndRowsCopyOut(GgmlType plain)
    {
        const int rows = 24, cols = 96;
        var rng = new Random(5);
        byte[] w = MatVecTests.RandomWeights(rng, plain, rows, cols);
        byte[] r8 = new byte[w.Length], back = new byte[w.Length];
        RowInterleave.Interleave(plain, w, r8, rows, cols);
        RowInterleave.Deinterleave(plain, r8, back, rows, cols);
        Assert.That(r8, Is.Not.EqualTo(w));
        Assert.That(back, Is.EqualTo(w));

        int rowBytes = (int)GgmlTypeInfo.RowBytes(plain, cols);
        byte[] row = new byte[rowBytes];
        for (int r = 0; r < rows; r++)
        {
            RowInterleave.CopyRow(plain, r8, r, cols, row);
            Assert.That(row, Is.EqualTo(w.AsSpan(r * rowBytes, rowBytes).ToArray()), $"row {r}");
        }
    }

    [Test]
    public void InterleaveRefusesRowsThatDoNotFillGroups()
    {
        var e = Assert.Throws<ArgumentException>(() => RowInterleave.Interleave(GgmlType.Q8_0, new byte[12 * 34], new byte[12 * 34], 12, 32));
        Assert.That(e!.Message, Does.Contain("multiple of 8"));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowInterleave.Interleave(GgmlType.F16, new byte[128], new byte[128], 8, 8));
    }

    /// <summary>
    /// The converter interleaves every quantized matrix whose row count is a multiple of eight and writes exactly the
    /// plain file's bytes rearranged; everything else (norms, F32 fallbacks) is unchanged.
    /// </summary>
    [TestCase(GgmlType.Q8_0)]
    [TestCase(GgmlType.Q4_0)]
    public void TheConverterWritesThePlainWeightsInterleaved(GgmlType plain)
    {
        using var a = GgufFile.Open(TransformerBatchTests.ModelPath(plain));
        using var b = GgufFile.Open(InterleavedModelTests.ModelPath(GgmlTypeInfo.Interleaved(plain)));
        Assert.That(b.Tensors.Select(t => t.Name), Is.EqualTo(a.Tensors.Select(t => t.Name)));
        int interleaved = 0;
        foreach (GgufTensorInfo ta in a.Tensors)
        {
            GgufTensorInfo tb = b.GetTensor(ta.Name);
            Assert.That(tb.Shape, Is.EqualTo(ta.Shape), ta.Name);
            bool expectR8 = GgmlTypeInfo.IsQuantized(ta.Type) && ta.Shape.Length == 2 && ta.Shape[1] % 8 == 0;
            Assert.That(tb.Type, Is.EqualTo(expectR8 ? GgmlTypeInfo.Interleaved(ta.Type) : ta.Type), ta.Name);
            byte[] expected = a.GetTensorBytes(ta).ToArray();
            byte[] actual = b.GetTensorBytes(tb).ToArray();
            if (expectR8)
            {
                interleaved++;
                byte[] plainAgain = new byte[actual.Length];
                RowInterleave.Deinterleave(ta.Type, actual, plainAgain, (int)ta.Shape[1], (int)ta.Shape[0]);
                actual = plainAgain;
            }

            Assert.That(actual, Is.EqualTo(expected), ta.Name);
        }

        Assert.That(interleaved, Is.EqualTo((7 * TransformerBatchTests.Shape.Layers) + 1),
            "every matrix (7 per layer and the tied embedding) interleaved");
    }

    /// <summary>
    /// The real trained model, converted interleaved: its 172-row FFN matrices stay plain Q8_0 (not whole groups), the
    /// rest interleaved, and it tells the plain file's greedy story.
    /// </summary>
    [Test]
    public async Task TheTrainedModelTellsTheSameStoryInterleaved()
    {
        string r8 = TestModels.Stories260K(GgmlType.Q8_0_R8);
        using (var f = GgufFile.Open(r8))
        {
            Assert.That(f.Tensors.Any(t => t.Type == GgmlType.Q8_0_R8), Is.True);
            Assert.That(f.Tensors.Any(t => t.Type == GgmlType.Q8_0 && t.Shape[1] % 8 != 0), Is.True, "a mixed file");
        }

        var o = new GenerationOptions { MaxTokens = 100, Sampling = SamplingOptions.Greedy };
        using var plain = LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 2 });
        using var inter = LanguageModel.Load(r8, new ModelLoadOptions { Threads = 2 });
        string a = await Text(plain, o), b = await Text(inter, o);
        Assert.That(a, Does.StartWith("Once upon a time"));
        Assert.That(b, Is.EqualTo(a));
    }

    private static async Task<string> Text(LanguageModel lm, GenerationOptions o)
    {
        var text = new System.Text.StringBuilder();
        await foreach (TokenEvent e in lm.GenerateAsync("", o))
        {
            text.Append(e.Text);
        }

        return text.ToString();
    }
}
