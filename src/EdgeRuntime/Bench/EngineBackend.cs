using System.Diagnostics;
using EdgeLlm.Kernels;
using EdgeLlm.Kernels.Sampling;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>Our engine, driven the way generation drives it (prefill, then greedy single-token steps).</summary>
public sealed class EngineBackend : IBenchBackend
{
    private readonly LanguageModel lm;

    public EngineBackend(string modelPath, int threads, int contextLength, EdgeLlm.Kernels.Model.KvCacheType kvCache = EdgeLlm.Kernels.Model.KvCacheType.Auto)
    {
        lm = LanguageModel.Load(modelPath, new ModelLoadOptions { Threads = threads, ContextLength = contextLength, KvCacheType = kvCache });
    }

    public LanguageModel Model => lm;

    public string Description => $"edgellm {typeof(EngineBackend).Assembly.GetName().Version}, kernel {lm.KernelPath}, {lm.Threads} thread(s)";

    /// <summary>Bytes of weights every decoded token reads: all matrices of every executed block, the classifier and one embedding row.</summary>
    public long WeightBytesPerToken
    {
        get
        {
            var w = lm.Weights;
            long perBlock = 0;
            foreach (var b in w.Blocks)
            {
                perBlock += b.Wq.TotalBytes + b.Wk.TotalBytes + b.Wv.TotalBytes + b.Wo.TotalBytes
                          + b.Gate.TotalBytes + b.Up.TotalBytes + b.Down.TotalBytes
                          + (sizeof(float) * (b.AttnNorm.Length + b.FfnNorm.Length));
            }

            return (perBlock * lm.Config.LayerRepeats) + w.Output.TotalBytes + w.Embedding.RowBytes + (sizeof(float) * w.OutputNorm.Length);
        }
    }

    /// <summary>KV cache bytes of one position (all executed blocks, keys and values): attention reads this per position attended.</summary>
    public double KvBytesPerPosition => (double)lm.Transformer.Cache.Bytes / lm.Transformer.Cache.ContextLength;

    /// <summary>The type most of the weight bytes have, e.g. "Q8_0".</summary>
    public string WeightType => lm.File.Tensors.Where(t => t.Shape.Length == 2)
        .GroupBy(t => t.Type).OrderByDescending(g => g.Sum(t => t.ByteSize)).Select(g => g.Key.ToString()).FirstOrDefault() ?? "?";

    public BenchRun Run(int[] promptTokens, int generateTokens)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        if (promptTokens.Length == 0 || promptTokens.Length + generateTokens > lm.ContextLength)
        {
            throw new ArgumentException($"{promptTokens.Length} prompt + {generateTokens} generated tokens do not fit the context of {lm.ContextLength}");
        }

        var t = lm.Transformer;
        var tokens = new int[generateTokens + 1];
        long start = Stopwatch.GetTimestamp();

        // Prefill: the whole prompt through the batched int8 matrix-matrix path, as generation does it.
        ReadOnlySpan<float> logits = t.Prefill(promptTokens, 0);

        long prefilled = Stopwatch.GetTimestamp();
        tokens[0] = Sampler.ArgMax(logits);
        long first = Stopwatch.GetTimestamp();

        for (int g = 0; g < generateTokens; g++)
        {
            tokens[g + 1] = Sampler.ArgMax(t.Forward(tokens[g], promptTokens.Length + g, true));
        }

        long end = Stopwatch.GetTimestamp();
        return new BenchRun(Seconds(start, prefilled), Seconds(start, first), Seconds(first, end), generateTokens, tokens)
        {
            PromptTokens = promptTokens.Length,
        };
    }

    public void Dispose() => lm.Dispose();


    private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;
}
