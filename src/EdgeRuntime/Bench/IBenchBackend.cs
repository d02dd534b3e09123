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
