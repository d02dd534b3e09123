using System.Diagnostics;
using EdgeLlm.Kernels;
using EdgeLlm.Kernels.Sampling;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>Our engine, driven the way generation drives it (prefill, then greedy single-token steps).</summary>
public sealed class EngineBackend : IBenchBackend
{
    private readonly LanguageModel _lm;

    public EngineBackend(string modelPath, int threads, int contextLength, EdgeLlm.Kernels.Model.KvCacheType kvCache = EdgeLlm.Kernels.Model.KvCacheType.Auto)
    {
        // CollectAfterLoad as the CLI and service load: the memory figures are those a user sees.
        _lm = LanguageModel.Load(modelPath, new ModelLoadOptions { Threads = threads, ContextLength = contextLength, KvCacheType = kvCache, CollectAfterLoad = true });
    }

    public LanguageModel Model => _lm;

    public string Description => $"edgellm {typeof(EngineBackend).Assembly.GetName().Version}, kernel {_lm.KernelPath}, {_lm.Threads} thread(s)";

    /// <summary>Bytes of weights every decoded token reads: all matrices of every executed block, the classifier and one embedding row.</summary>
    public long WeightBytesPerToken => _lm.Description.WeightBytesPerToken;

    /// <summary>KV cache bytes of one position (all executed blocks, keys and values): attention reads this per position attended.</summary>
    public double KvBytesPerPosition => _lm.Description.KvBytesPerPosition;

    /// <summary>The type most of the weight bytes have, e.g. "Q8_0".</summary>
    public string WeightType => _lm.Description.WeightType.ToString();

    public BenchRun Run(int[] promptTokens, int generateTokens)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        if (promptTokens.Length == 0 || promptTokens.Length + generateTokens > _lm.ContextLength)
        {
            throw new ArgumentException($"{promptTokens.Length} prompt + {generateTokens} generated tokens do not fit the context of {_lm.ContextLength}");
        }

        var tokens = new int[generateTokens + 1];
        _lm.ResetSequence();
        long start = Stopwatch.GetTimestamp();

        // The model's step API: the whole prompt through the batched matrix × matrix kernels, then one token per step.
        tokens[0] = Sampler.ArgMax(_lm.Prefill(promptTokens));
        long prefilled = Stopwatch.GetTimestamp();
        long first = prefilled;

        for (int g = 0; g < generateTokens; g++)
        {
            tokens[g + 1] = Sampler.ArgMax(_lm.Decode(tokens[g]));
        }

        long end = Stopwatch.GetTimestamp();
        return new BenchRun(Seconds(start, prefilled), Seconds(start, first), Seconds(first, end), generateTokens, tokens)
        {
            PromptTokens = promptTokens.Length,
        };
    }

    public void Dispose() => _lm.Dispose();

    private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;
}
