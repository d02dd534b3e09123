namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>Timings of one <see cref="IBenchBackend.Run"/>.</summary>
/// <param name="PrefillSeconds">Prompt evaluation until the last prompt token's logits are ready.</param>
/// <param name="FirstTokenSeconds">Start until the first generated token is known (prefill + argmax).</param>
/// <param name="DecodeSeconds">The <paramref name="DecodedTokens"/> single-token forward passes after that.</param>
/// <param name="Tokens">The greedy tokens: the first from the prefill, then one per decode step.</param>
public sealed record BenchRun(double PrefillSeconds, double FirstTokenSeconds, double DecodeSeconds, int DecodedTokens, int[] Tokens)
{
    public int PromptTokens { get; init; }

    public double PrefillTokensPerSecond => PrefillSeconds > 0 ? PromptTokens / PrefillSeconds : 0;

    public double DecodeTokensPerSecond => DecodeSeconds > 0 ? DecodedTokens / DecodeSeconds : 0;
}
