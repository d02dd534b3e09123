namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// A bench backend that can also decode under a GBNF grammar with its own grammar sampler (the llama.cpp plugin:
/// LLamaSharp's DefaultSamplingPipeline over llama_sampler_init_grammar), greedy among the allowed tokens.
/// </summary>
public interface IGrammarBenchBackend
{
    /// <summary>
    /// As <see cref="IBenchBackend.Run"/>, but every generated token is sampled through the grammar; when the grammar
    /// completes it starts over, so every step is constrained. <paramref name="fullVocabulary"/> applies the grammar to
    /// the whole vocabulary every step (what a mask costs); otherwise the engine's default shortcut (check the
    /// unconstrained choice first, fall back to the full grammar when it is refused).
    /// </summary>
    GrammarBenchRun RunConstrained(int[] promptTokens, int generateTokens, string gbnf, bool fullVocabulary);
}

/// <summary>Timings of a constrained run: the decode as a whole and the part spent in the grammar.</summary>
/// <param name="Decode">The run; its decode time includes the grammar's.</param>
/// <param name="GrammarSeconds">Time inside the grammar (mask, sampling among allowed tokens, accepting the token).</param>
/// <param name="Completions">How many times the grammar was completed (and started over).</param>
public sealed record GrammarBenchRun(BenchRun Decode, double GrammarSeconds, int Completions)
{
    public double GrammarMsPerToken => Decode.DecodedTokens > 0 ? GrammarSeconds * 1000 / Decode.DecodedTokens : 0;
}
