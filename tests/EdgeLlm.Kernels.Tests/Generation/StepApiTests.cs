using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Sampling;

namespace EdgeLlm.Kernels.Tests.Generation;

/// <summary>
/// <see cref="LanguageModel"/>'s step API (what <c>edgellm bench</c> times) and its description: the same logits as the
/// transformer fed token by token, positions kept, bad calls refused with the model left usable.
/// </summary>
public class StepApiTests
{
    /// <summary>
    /// The kernels for weights that stream from memory and those for weights in cache give the same logits bit for bit
    /// (prefill and decode, Q4_0 whose x86 scales take the other conversion), and the description says which ran.
    /// </summary>
    [TestCase(GgmlType.Q4_0, 2)]
    [TestCase(GgmlType.Q8_0, 1)]
    public void StreamingAndCachedWeightKernelsGiveTheSameLogits(GgmlType type, int threads)
    {
        string path = Model.TransformerBatchTests.ModelPath(type);
        using var streaming = LanguageModel.Load(path, new ModelLoadOptions { Threads = threads, StreamingWeights = true });
        using var cached = LanguageModel.Load(path, new ModelLoadOptions { Threads = threads, StreamingWeights = false });
        Assert.That(streaming.Description.StreamsWeights, Is.True);
        Assert.That(cached.Description.StreamsWeights, Is.False);
        int[] prompt = Model.TransformerBatchTests.Tokens(20, seed: 9);
        Assert.That(streaming.Prefill(prompt).ToArray(), Is.EqualTo(cached.Prefill(prompt).ToArray()), "prefill");
        for (int g = 0; g < 8; g++)
        {
            int next = Sampler.ArgMax(cached.Logits);
            Assert.That(streaming.Decode(next).ToArray(), Is.EqualTo(cached.Decode(next).ToArray()), $"decode step {g}");
        }
    }

    [Test]
    public void TheDefaultStreamsWeightsLargerThanTheLastLevelCache()
    {
        string path = Model.TransformerBatchTests.ModelPath(GgmlType.Q8_0);
        using var lm = LanguageModel.Load(path, new ModelLoadOptions { Threads = 1 });
        Assert.That(lm.Description.StreamsWeights, Is.EqualTo(KernelTable.StreamingWeights(lm.Description.TensorBytes, LastLevelCache.Read().Bytes)));
    }

    [TestCase(GgmlType.Q8_0, 2)]
    [TestCase(GgmlType.Q4_0, 1)]
    public void PrefillThenDecodeEqualsTheTransformerTokenByToken(GgmlType type, int threads)
    {
        string path = Model.TransformerBatchTests.ModelPath(type);
        var options = new ModelLoadOptions { Threads = threads, KvCacheType = KvCacheType.Q8_0 };
        using var steps = LanguageModel.Load(path, options);
        using var reference = LanguageModel.Load(path, options);
        int[] prompt = Model.TransformerBatchTests.Tokens(Transformer.MaxBatch + 5, seed: 4); // two batches

        float[] expected = [];
        for (int p = 0; p < prompt.Length; p++)
        {
            expected = reference.Transformer.Forward(prompt[p], p).ToArray();
        }

        Assert.That(steps.Position, Is.Zero);
        Assert.That(steps.Prefill(prompt).ToArray(), Is.EqualTo(expected), "prefill");
        Assert.That(steps.Logits.ToArray(), Is.EqualTo(expected), "Logits after prefill");
        Assert.That(steps.Position, Is.EqualTo(prompt.Length));
        for (int g = 0; g < 5; g++)
        {
            int next = Sampler.ArgMax(steps.Logits);
            float[] mine = steps.Decode(next).ToArray();
            Assert.That(mine, Is.EqualTo(reference.Transformer.Forward(next, prompt.Length + g).ToArray()), $"decode step {g}");
        }

        Assert.That(steps.Position, Is.EqualTo(prompt.Length + 5));

        // a new sequence starts at 0 and gives the first prefill's logits again
        steps.ResetSequence();
        Assert.Throws<InvalidOperationException>(() => _ = steps.Logits.Length, "no logits before a step");
        Assert.That(steps.Prefill(prompt).ToArray(), Is.EqualTo(expected), "prefill after ResetSequence");
    }

    [Test]
    public void BadStepsAreRefusedAndTheSequenceSurvives()
    {
        using var lm = LanguageModel.Load(Model.TransformerBatchTests.ModelPath(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1, ContextLength = 8 });
        Assert.Throws<ArgumentException>(() => lm.Prefill(ReadOnlySpan<int>.Empty));
        lm.Prefill([1, 2, 3]);
        Assert.Throws<InvalidOperationException>(() => lm.Prefill([4, 5, 6, 7, 8, 9]), "past the context");
        Assert.Throws<ArgumentOutOfRangeException>(() => lm.Decode(lm.Config.VocabSize), "outside the vocabulary");
        Assert.That(lm.Position, Is.EqualTo(3), "refused steps do not move the sequence");
        float[] a = lm.Decode(4).ToArray();
        lm.ResetSequence();
        lm.Prefill([1, 2, 3]);
        Assert.That(lm.Decode(4).ToArray(), Is.EqualTo(a));
    }

    [Test]
    public async Task AStepDuringAGenerationIsRefused()
    {
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1 });
        var o = new GenerationOptions { MaxTokens = 20, Sampling = SamplingOptions.Greedy };
        int events = 0;
        await foreach (TokenEvent e in lm.GenerateAsync("", o))
        {
            if (events++ == 2)
            {
                Assert.Throws<InvalidOperationException>(() => lm.Decode(5));
            }
        }

        Assert.That(events, Is.GreaterThan(3));
        Assert.That(lm.Position, Is.Zero, "a generation starts a new step sequence");
        Assert.That(lm.Prefill([1]).Length, Is.EqualTo(lm.Config.VocabSize), "the model is usable after the generation");
    }

    [Test]
    public void DescriptionSaysWhatRunsAndWhatAStepReads()
    {
        var shape = Model.TransformerBatchTests.Shape;
        using var lm = LanguageModel.Load(Model.TransformerBatchTests.ModelPath(GgmlType.Q8_0), new ModelLoadOptions { Threads = 2, ContextLength = 128, KvCacheType = KvCacheType.Auto, KernelPath = KernelPath.Scalar });
        ModelDescription d = lm.Description;
        Assert.That(d.KernelPath, Is.EqualTo(KernelPath.Scalar));
        Assert.That(d.Threads, Is.EqualTo(2));
        Assert.That(d.ContextLength, Is.EqualTo(128));
        Assert.That(d.KvCacheType, Is.EqualTo(KvCacheType.Q8_0), "Auto resolved: MobileLLM's 64-wide heads");
        Assert.That(d.WeightType, Is.EqualTo(GgmlType.Q8_0));
        Assert.That(d.TiedOutput, Is.True);
        Assert.That(d.Config.Dim, Is.EqualTo(shape.Dim));
        Assert.That(d.FileBytes, Is.EqualTo(new FileInfo(d.FilePath).Length));
        Assert.That(d.TensorTypes.Sum(t => t.Count), Is.EqualTo(lm.File.Tensors.Count));
        Assert.That(d.TensorBytes, Is.EqualTo(lm.File.Tensors.Sum(t => t.ByteSize)));

        // K and V, every block, 34 bytes per 32 values, per position; the whole cache for 128 positions
        double kvPerPosition = 2.0 * shape.Layers * shape.KvDim / 32 * 34;
        Assert.That(d.KvBytesPerPosition, Is.EqualTo(kvPerPosition));
        Assert.That(d.KvCacheBytes, Is.EqualTo((long)(kvPerPosition * 128)));

        // every block matrix, the tied classifier (the whole embedding, Q8_0), one embedding row, the norms
        long q8 = lm.File.Tensors.Where(t => t.Name.StartsWith("blk.", StringComparison.Ordinal) && t.Shape.Length == 2).Sum(t => t.ByteSize);
        long norms = lm.File.Tensors.Where(t => t.Shape.Length == 1).Sum(t => t.ByteSize);
        long embedding = lm.File.GetTensor("token_embd.weight").ByteSize;
        Assert.That(d.WeightBytesPerToken, Is.EqualTo(q8 + norms + embedding + (embedding / shape.VocabSize)));
    }

    [Test]
    public void CollectAfterLoadRunsAFullCollection()
    {
        string path = Model.TransformerBatchTests.ModelPath(GgmlType.Q8_0);
        int before = GC.CollectionCount(GC.MaxGeneration);
        using (LanguageModel.Load(path, new ModelLoadOptions { Threads = 1, CollectAfterLoad = true }))
        {
            Assert.That(GC.CollectionCount(GC.MaxGeneration), Is.GreaterThan(before));
        }
    }
}
