using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Quant;

namespace EdgeLlm.Kernels.Tests.Oracle;

/// <summary>Our engine against llama.cpp on the same GGUF files: logits, greedy tokens, quantized bytes.</summary>
public class EngineVsLlamaCppTests
{
    private static readonly string[] Prompts = ["Once upon a time", "Lily and Ben went to the park. They saw a big", "The little dog was sad because"];

    /// <summary>Our logits for every position of <paramref name="tokens"/>.</summary>
    private static float[][] OurLogits(string path, int[] tokens)
    {
        using var lm = LanguageModel.Load(path, new ModelLoadOptions { Threads = 2 });
        return tokens.Select((t, pos) => lm.Transformer.Forward(t, pos).ToArray()).ToArray();
    }

    /// <summary>Worst over positions of max |ours - theirs| / max |theirs|.</summary>
    private static double WorstRelativeError(float[][] ours, float[][] theirs)
    {
        double worst = 0;
        for (int p = 0; p < ours.Length; p++)
        {
            double scale = theirs[p].Max(MathF.Abs), diff = 0;
            for (int i = 0; i < ours[p].Length; i++)
            {
                diff = Math.Max(diff, Math.Abs(ours[p][i] - theirs[p][i]));
            }

            worst = Math.Max(worst, diff / scale);
        }

        return worst;
    }

    // F32: both engines do float math; differences are summation order only (1e-4 relative).
    // Q8_0/Q4_0: both quantize activations to Q8_0 with the same rounding, so integer block sums agree;
    // llama.cpp repacks weights and adds block results in another order, and a value right at a rounding
    // boundary can flip one activation step — a few 1e-3 relative covers that.
    [TestCase(GgmlType.F32, 1e-4)]
    [TestCase(GgmlType.Q8_0, 5e-3)]
    [TestCase(GgmlType.Q4_0, 5e-3)]
    public void Stories260KLogitsAgreeAtEveryPosition(GgmlType type, double tolerance)
    {
        string path = TestModels.Stories260K(type);
        using var lm = LanguageModel.Load(path, new ModelLoadOptions { Threads = 1 });
        foreach (string prompt in Prompts)
        {
            int[] tokens = lm.Tokenizer.Encode(prompt, addBos: true);
            Assert.That(tokens, Is.EqualTo(LlamaCpp.Tokenize(path, prompt, addBos: true)), "same tokens in");
            double err = WorstRelativeError(OurLogits(path, tokens), LlamaCpp.Logits(path, tokens));
            TestContext.Progress.WriteLine($"{type} '{prompt}': worst relative logit error {err:E2}");
            Assert.That(err, Is.LessThan(tolerance), prompt);
        }
    }

    [Test]
    public void F32GreedyContinuationsAreIdenticalFor200Tokens()
    {
        string path = TestModels.Stories260K(GgmlType.F32);
        using var lm = LanguageModel.Load(path, new ModelLoadOptions { Threads = 1 });
        foreach (string prompt in Prompts)
        {
            int[] tokens = lm.Tokenizer.Encode(prompt, addBos: true);
            int[] theirs = LlamaCpp.Greedy(path, tokens, 200);
            var ours = new List<int>();
            float[] logits = [];
            for (int p = 0; p < tokens.Length; p++)
            {
                logits = lm.Transformer.Forward(tokens[p], p).ToArray();
            }

            for (int pos = tokens.Length; ours.Count < 200; pos++)
            {
                int next = EdgeLlm.Kernels.Sampling.Sampler.ArgMax(logits);
                ours.Add(next);
                logits = lm.Transformer.Forward(next, pos).ToArray();
            }

            Assert.That(ours, Is.EqualTo(theirs), prompt);
        }
    }

    [TestCase(GgmlType.Q8_0)]
    [TestCase(GgmlType.Q4_0)]
    public void OurQuantizerWritesLlamaCppsBytes(GgmlType type)
    {
        // MobileLLM's widths: 576-wide rows (q, k, v, o, gate, up, embeddings) and 1536-wide rows (down).
        var shape = RandomLlama.Shape(dim: 576, hidden: 1536, layers: 1, heads: 9, kvHeads: 3);
        string f32 = RandomLlama.Write(shape, GgmlType.F32, seed: 17);
        string ours = RandomLlama.Write(shape, type, seed: 17);
        string theirs = TestModels.TempFile($"llamacpp-{type}.gguf");
        LlamaCpp.Quantize(f32, theirs, type);

        using var a = GgufFile.Open(ours);
        using var b = GgufFile.Open(theirs);
        Assert.That(b.Tensors.Select(t => t.Name), Is.EquivalentTo(a.Tensors.Select(t => t.Name)));
        int compared = 0;
        foreach (var t in a.Tensors)
        {
            var u = b.GetTensor(t.Name);
            Assert.That(u.Type, Is.EqualTo(t.Type), t.Name);
            Assert.That(u.Shape, Is.EqualTo(t.Shape), t.Name);
            Assert.That(b.GetTensorBytes(u).SequenceEqual(a.GetTensorBytes(t)), Is.True, $"{t.Name} ({t.Type}) bytes differ");
            compared += t.Type == type ? 1 : 0;
        }

        Assert.That(compared, Is.GreaterThanOrEqualTo(7), "every block matrix was quantized to the target type");
    }

    [TestCase(GgmlType.Q8_0)]
    [TestCase(GgmlType.Q4_0)]
    public void MobileLlmShapedRandomModelLogitsAgree(GgmlType type)
    {
        var shape = RandomLlama.Shape(dim: 576, hidden: 1536, layers: 2, heads: 9, kvHeads: 3);
        string path = RandomLlama.Write(shape, type, seed: 5, std: 0.05f);
        int[] tokens = [1, 300, 301, 302, 500, 17, 42, 99];
        double err = WorstRelativeError(OurLogits(path, tokens), LlamaCpp.Logits(path, tokens));
        TestContext.Progress.WriteLine($"{type} random 576/1536: worst relative logit error {err:E2}");
        Assert.That(err, Is.LessThan(5e-3));
    }
}
