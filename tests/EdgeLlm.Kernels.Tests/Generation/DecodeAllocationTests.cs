using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Sampling;

namespace EdgeLlm.Kernels.Tests.Generation;

/// <summary>The per-token path allocates nothing: decode steps (forward + sampling) of a real model, counted by the GC.</summary>
public class DecodeAllocationTests
{
    [TestCase(GgmlType.Q8_0, 1, KvCacheType.F32)]
    [TestCase(GgmlType.Q8_0, 2, KvCacheType.F32)]
    [TestCase(GgmlType.Q4_0, 2, KvCacheType.Q8_0)]
    [TestCase(GgmlType.F32, 2, KvCacheType.F16)]
    public void DecodeStepsDoNotAllocate(GgmlType type, int threads, KvCacheType kv)
    {
        using var lm = LanguageModel.Load(Model.TransformerBatchTests.ModelPath(type), new ModelLoadOptions { Threads = threads, KvCacheType = kv });
        var tr = lm.Transformer;
        int[] prompt = Model.TransformerBatchTests.Tokens(24, seed: 2);
        tr.Prefill(prompt, 0);
        var sampler = new Sampler(lm.Config.VocabSize, new SamplingOptions { Temperature = 0.8f, TopK = 40, TopP = 0.9f, Seed = 1 });
        int[] history = new int[lm.ContextLength];
        prompt.CopyTo(history, 0);
        int pos = prompt.Length, token = 5;

        void Step()
        {
            token = sampler.Sample(tr.Forward(token, pos), history.AsSpan(0, pos));
            history[pos++] = token;
        }

        for (int i = 0; i < 20; i++)
        {
            Step(); // warm: tiered compilation, OSR
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Step();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero, $"{allocated} bytes over 100 decode steps");
    }
}
