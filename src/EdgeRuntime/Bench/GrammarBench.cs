using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Grammar;
using EdgeLlm.Kernels.Sampling;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// <c>edgellm bench --json-schema FILE</c>: greedy decode with the schema's token mask against decode without it, and
/// (with --vs-llamacpp) llama.cpp's grammar sampler on the same grammar, model, threads and prompt, repetitions
/// alternated, medians. Every step is constrained: when the JSON is complete the grammar starts over.
/// The mask's own time is measured directly (the decode difference is within run-to-run noise on a shared machine).
/// </summary>
public static class GrammarBench
{
    public static GrammarBenchResult Run(BenchOptions o, CompiledGrammar grammar, Action<string> log)
    {
        IBenchBackendFactory? llamaFactory = BenchPlugin.LoadIfAsked(o);
        using var ours = new EngineBackend(o.ModelPath, o.Threads, o.ContextLength, o.KvCache);
        var lm = ours.Model;
        if (o.PromptTokens + o.GenTokens > lm.ContextLength)
        {
            throw new ArgumentException($"--prompt-tokens {o.PromptTokens} + --gen-tokens {o.GenTokens} exceed the context of {lm.ContextLength} tokens");
        }

        int[] prompt = BenchRunner.MakePrompt(lm.Tokenizer.BosId, lm.Tokenizer.EosId, lm.Config.VocabSize, o.PromptTokens);

        // Cold: a grammar instance never seen, so its masks are computed as the run meets its states (what the first
        // request with a new schema pays); warm: the same instance again (what every later request pays).
        log("bench: warm-up, then the first constrained run on a cold mask cache");
        ours.Run(prompt, o.GenTokens);
        var cold = Constrained(lm, lm.BindGrammar(grammar), prompt, o.GenTokens);
        var warmGrammar = lm.BindGrammar(grammar);
        Constrained(lm, warmGrammar, prompt, o.GenTokens);

        using IBenchBackend? llama = llamaFactory?.Create(o.LlamaCppModel, o.Threads, lm.ContextLength);
        var llamaGrammar = llama as IGrammarBenchBackend;
        if (llama is not null && llamaGrammar is null)
        {
            throw new InvalidOperationException("the llama.cpp bench plugin has no grammar support (rebuild tests/EdgeLlm.Bench)");
        }

        if (llama is not null)
        {
            llama.Run(prompt, o.GenTokens);
            llamaGrammar!.RunConstrained(prompt, o.GenTokens, grammar.Gbnf, fullVocabulary: true);
        }

        var plain = new List<BenchRun>();
        var masked = new List<GrammarBenchRun>();
        var llamaPlain = new List<BenchRun>();
        var llamaFull = new List<GrammarBenchRun>();
        var llamaShortcut = new List<GrammarBenchRun>();
        for (int r = 0; r < o.Repetitions; r++)
        {
            // alternate the order so a drift of the shared machine hits every variant alike
            bool forward = r % 2 == 0;
            var steps = new List<Action>
            {
                () => plain.Add(ours.Run(prompt, o.GenTokens)),
                () => masked.Add(Constrained(lm, warmGrammar, prompt, o.GenTokens)),
            };
            if (llama is not null)
            {
                steps.Add(() => llamaPlain.Add(llama.Run(prompt, o.GenTokens)));
                steps.Add(() => llamaFull.Add(llamaGrammar!.RunConstrained(prompt, o.GenTokens, grammar.Gbnf, fullVocabulary: true)));
                steps.Add(() => llamaShortcut.Add(llamaGrammar!.RunConstrained(prompt, o.GenTokens, grammar.Gbnf, fullVocabulary: false)));
            }

            if (!forward)
            {
                steps.Reverse();
            }

            foreach (var step in steps)
            {
                step();
            }

            log($"bench: repetition {r + 1}/{o.Repetitions}: ours {plain[^1].DecodeTokensPerSecond:F1} tok/s, with mask {masked[^1].Decode.DecodeTokensPerSecond:F1} tok/s ({masked[^1].GrammarMsPerToken:F3} ms/token in the grammar)"
                + (llama is null ? "" : $"; llama.cpp {llamaPlain[^1].DecodeTokensPerSecond:F1} tok/s, with grammar {llamaFull[^1].Decode.DecodeTokensPerSecond:F1} tok/s ({llamaFull[^1].GrammarMsPerToken:F3} ms/token)"));
        }

        var tg = warmGrammar;
        return new GrammarBenchResult(
            o, lm.Name, ours.WeightType, lm.KernelPath, grammar.Size,
            Numbers(plain, null), Numbers(masked.Select(m => m.Decode).ToList(), masked), Numbers([cold.Decode], [cold]),
            tg.CachedPositions, tg.CachedStacks, tg.CacheBytes,
            llama?.Description,
            llama is null ? null : Numbers(llamaPlain, null),
            llama is null ? null : Numbers(llamaFull.Select(m => m.Decode).ToList(), llamaFull),
            llama is null ? null : Numbers(llamaShortcut.Select(m => m.Decode).ToList(), llamaShortcut));
    }

    /// <summary>Greedy decode under the grammar with our engine: forward, mask, masked argmax, accept.</summary>
    public static GrammarBenchRun Constrained(EdgeLlm.Kernels.LanguageModel lm, TokenGrammar grammar, int[] promptTokens, int generateTokens)
    {
        var matcher = grammar.CreateMatcher();
        var sampler = new Sampler(lm.Config.VocabSize, SamplingOptions.Greedy);
        var mask = new ulong[grammar.Vocabulary.MaskLength];
        var tokens = new int[generateTokens + 1];
        int completions = 0;
        long grammarTicks = 0;
        lm.ResetSequence();
        long start = Stopwatch.GetTimestamp();
        ReadOnlySpan<float> logits = lm.Prefill(promptTokens);
        long prefilled = Stopwatch.GetTimestamp();
        tokens[0] = Next(logits);
        long first = Stopwatch.GetTimestamp();
        for (int g = 0; g < generateTokens; g++)
        {
            logits = lm.Decode(tokens[g]);
            tokens[g + 1] = Next(logits);
        }

        long end = Stopwatch.GetTimestamp();
        var run = new BenchRun(Seconds(start, prefilled), Seconds(start, first), Seconds(first, end), generateTokens, tokens) { PromptTokens = promptTokens.Length };
        return new GrammarBenchRun(run, grammarTicks / (double)Stopwatch.Frequency, completions);

        int Next(ReadOnlySpan<float> l)
        {
            long a = Stopwatch.GetTimestamp();
            if (!matcher.FillMask(mask))
            {
                completions++;
                matcher.Reset();
                matcher.FillMask(mask);
            }

            int token = sampler.Sample(l, [], mask);
            if (token == grammar.Vocabulary.EosId)
            {
                completions++;
                matcher.Reset();
            }
            else
            {
                matcher.Accept(token);
            }

            grammarTicks += Stopwatch.GetTimestamp() - a;
            return token;
        }
    }

    private static GrammarNumbers Numbers(List<BenchRun> runs, List<GrammarBenchRun>? constrained) => new(
        Median(runs.Select(r => r.DecodeTokensPerSecond)),
        constrained is null ? 0 : Median(constrained.Select(c => c.GrammarMsPerToken)),
        Median(runs.Select(r => r.DecodeSeconds * 1000 / Math.Max(1, r.DecodedTokens))),
        constrained?.Sum(c => c.Completions) ?? 0);

    private static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        return v.Length == 0 ? 0 : v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }

    private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;
}

/// <summary>Medians of one variant: decode tokens/s, ms per token in the grammar, ms per decoded token; completions summed.</summary>
public sealed record GrammarNumbers(double DecodeTokS, double GrammarMsPerToken, double MsPerToken, int Completions)
{
    /// <summary>The grammar's share of a constrained decode step.</summary>
    public double GrammarShare => MsPerToken > 0 ? GrammarMsPerToken / MsPerToken : 0;
}

/// <summary>Everything <c>bench --json-schema</c> measured.</summary>
public sealed record GrammarBenchResult(
    BenchOptions Options,
    string ModelName,
    string WeightType,
    string Kernel,
    int GrammarSize,
    GrammarNumbers Plain,
    GrammarNumbers Masked,
    GrammarNumbers Cold,
    int CachedPositions,
    int CachedStacks,
    long CacheBytes,
    string? LlamaCppDescription,
    GrammarNumbers? LlamaPlain,
    GrammarNumbers? LlamaGrammar,
    GrammarNumbers? LlamaShortcut)
{
    public string Table()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"model {ModelName} ({WeightType}), kernel {Kernel}, {Options.Threads} thread(s), prompt {Options.PromptTokens}, {Options.GenTokens} tokens greedy, {Options.Repetitions} repetitions (medians); grammar of {GrammarSize} positions");
        sb.AppendLine("| engine | decode tok/s | with grammar tok/s | grammar ms/token | grammar share of a step | completions |");
        sb.AppendLine("|---|---|---|---|---|---|");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| edgellm (mask, warm cache) | {Plain.DecodeTokS:F1} | {Masked.DecodeTokS:F1} | {Masked.GrammarMsPerToken:F3} | {Masked.GrammarShare * 100:F1} % | {Masked.Completions} |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| edgellm (first run, cold cache) | | {Cold.DecodeTokS:F1} | {Cold.GrammarMsPerToken:F3} | {Cold.GrammarShare * 100:F1} % | {Cold.Completions} |");
        if (LlamaPlain is not null && LlamaGrammar is not null && LlamaShortcut is not null)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| llama.cpp (grammar on the whole vocabulary) | {LlamaPlain.DecodeTokS:F1} | {LlamaGrammar.DecodeTokS:F1} | {LlamaGrammar.GrammarMsPerToken:F3} | {LlamaGrammar.GrammarShare * 100:F1} % | {LlamaGrammar.Completions} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| llama.cpp (LLamaSharp's default: check the choice first) | | {LlamaShortcut.DecodeTokS:F1} | {LlamaShortcut.GrammarMsPerToken:F3} | {LlamaShortcut.GrammarShare * 100:F1} % | {LlamaShortcut.Completions} |");
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"mask cache after the run: {CachedPositions} positions, {CachedStacks} stacks, {CacheBytes / 1024.0:F0} KB");
        return sb.ToString();
    }

    public string Json()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("file", Path.GetFullPath(Options.ModelPath));
            w.WriteString("model", ModelName);
            w.WriteString("type", WeightType);
            w.WriteNumber("threads", Options.Threads);
            w.WriteNumber("gen_tokens", Options.GenTokens);
            w.WriteNumber("grammar_positions", GrammarSize);
            w.WriteNumber("decode_tok_s", Round(Plain.DecodeTokS));
            w.WriteNumber("masked_decode_tok_s", Round(Masked.DecodeTokS));
            w.WriteNumber("mask_ms_per_token", Math.Round(Masked.GrammarMsPerToken, 4));
            w.WriteNumber("mask_share", Math.Round(Masked.GrammarShare, 4));
            w.WriteNumber("cold_masked_decode_tok_s", Round(Cold.DecodeTokS));
            w.WriteNumber("cold_mask_ms_per_token", Math.Round(Cold.GrammarMsPerToken, 4));
            w.WriteNumber("completions", Masked.Completions);
            w.WriteNumber("cache_positions", CachedPositions);
            w.WriteNumber("cache_stacks", CachedStacks);
            w.WriteNumber("cache_kb", Round(CacheBytes / 1024.0));
            if (LlamaPlain is not null && LlamaGrammar is not null && LlamaShortcut is not null)
            {
                w.WriteString("llamacpp", LlamaCppDescription);
                w.WriteNumber("llamacpp_decode_tok_s", Round(LlamaPlain.DecodeTokS));
                w.WriteNumber("llamacpp_grammar_decode_tok_s", Round(LlamaGrammar.DecodeTokS));
                w.WriteNumber("llamacpp_grammar_ms_per_token", Math.Round(LlamaGrammar.GrammarMsPerToken, 4));
                w.WriteNumber("llamacpp_grammar_share", Math.Round(LlamaGrammar.GrammarShare, 4));
                w.WriteNumber("llamacpp_shortcut_decode_tok_s", Round(LlamaShortcut.DecodeTokS));
                w.WriteNumber("llamacpp_shortcut_ms_per_token", Math.Round(LlamaShortcut.GrammarMsPerToken, 4));
            }
            else
            {
                w.WriteNull("llamacpp");
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static double Round(double v) => Math.Round(v, 2);
}
