using System.Diagnostics;
using EdgeLlm.EdgeRuntime.Bench;
using LLama.Native;
using LLama.Sampling;

namespace EdgeLlm.Bench;

/// <summary>
/// llama.cpp's grammar sampler for <c>bench --json-schema</c>: LLamaSharp's DefaultSamplingPipeline with the grammar
/// (llama_sampler_init_grammar inside), greedy, as a LLamaSharp user runs it; the grammar either on the whole
/// vocabulary every step (GrammarOptimizationMode.None) or LLamaSharp's default shortcut (Extended).
/// </summary>
internal sealed partial class LlamaCppBackend : IGrammarBenchBackend
{
    public GrammarBenchRun RunConstrained(int[] promptTokens, int generateTokens, string gbnf, bool fullVocabulary)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        using var pipeline = new DefaultSamplingPipeline
        {
            Grammar = new Grammar(gbnf, "root"),
            GrammarOptimization = fullVocabulary ? DefaultSamplingPipeline.GrammarOptimizationMode.None : DefaultSamplingPipeline.GrammarOptimizationMode.Extended,
            Temperature = 0f,
            TopK = 1,
            RepeatPenalty = 1f,
        };

        var eos = _weights.Vocab.EOS;
        _context.NativeHandle.MemoryClear(true);
        var tokens = new int[generateTokens + 1];
        long grammarTicks = 0;
        int completions = 0;
        long start = Stopwatch.GetTimestamp();
        int batchSize = (int)_context.BatchSize;
        for (int from = 0; from < promptTokens.Length; from += batchSize)
        {
            _batch.Clear();
            int to = Math.Min(promptTokens.Length, from + batchSize);
            for (int i = from; i < to; i++)
            {
                _batch.Add(promptTokens[i], i, LLamaSeqId.Zero, i == promptTokens.Length - 1);
            }

            Decode();
        }

        long prefilled = Stopwatch.GetTimestamp();
        tokens[0] = Next(_batch.TokenCount - 1);
        long first = Stopwatch.GetTimestamp();
        for (int g = 0; g < generateTokens; g++)
        {
            _batch.Clear();
            _batch.Add(tokens[g], promptTokens.Length + g, LLamaSeqId.Zero, true);
            Decode();
            tokens[g + 1] = Next(0);
        }

        long end = Stopwatch.GetTimestamp();
        var run = new BenchRun(Seconds(start, prefilled), Seconds(start, first), Seconds(first, end), generateTokens, tokens) { PromptTokens = promptTokens.Length };
        return new GrammarBenchRun(run, grammarTicks / (double)Stopwatch.Frequency, completions);

        int Next(int index)
        {
            long a = Stopwatch.GetTimestamp();
            // Sample also accepts the token into the grammar (accepting it again aborts inside llama.cpp).
            LLamaToken token = pipeline.Sample(_context.NativeHandle, index);
            if (token == eos)
            {
                // the grammar is complete (EOS is all it allows): start over, as ours does
                completions++;
                pipeline.Reset();
            }

            grammarTicks += Stopwatch.GetTimestamp() - a;
            return (int)token;
        }
    }
}
