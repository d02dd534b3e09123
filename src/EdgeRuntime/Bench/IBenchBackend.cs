namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// One inference engine as <c>edgellm bench</c> measures it: ours (<see cref="EngineBackend"/>) or llama.cpp, which
/// lives in a plugin assembly (tests/EdgeLlm.Bench) so the shipped CLI never depends on LLamaSharp.
/// A plugin exposes one public class with a public parameterless constructor implementing <see cref="IBenchBackendFactory"/>.
/// </summary>
public interface IBenchBackend : IDisposable
{
    /// <summary>What runs, for the report (e.g. "llama.cpp b1234 via LLamaSharp 0.30.0, AVX512 build").</summary>
    string Description { get; }

    /// <summary>
    /// Prefill <paramref name="promptTokens"/> from position 0 (logits of the last one only), take the argmax as the first
    /// token, then run <paramref name="generateTokens"/> single-token forward passes, each feeding the previous argmax
    /// (greedy; EOS does not stop it). Each call starts a fresh sequence. Nothing is allocated for the model here.
    /// </summary>
    BenchRun Run(int[] promptTokens, int generateTokens);
}

/// <summary>Creates a backend for a model file (implemented by a bench plugin).</summary>
public interface IBenchBackendFactory
{
    /// <param name="contextLength">KV cache length in tokens (the same for every engine in a run).</param>
    IBenchBackend Create(string modelPath, int threads, int contextLength);
}

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
