namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>What <c>edgellm bench</c> was asked to do.</summary>
public sealed record BenchOptions
{
    public required string ModelPath { get; init; }

    /// <summary>The thread count the top-level numbers describe (<c>-t</c>).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Every thread count to measure (for the chart); always contains <see cref="Threads"/>.</summary>
    public IReadOnlyList<int> ThreadsList { get; init; } = [1];

    public int PromptTokens { get; init; } = 64;

    public int GenTokens { get; init; } = 128;

    public int Repetitions { get; init; } = 5;

    /// <summary>KV cache length for both engines; 0 takes the model's trained context.</summary>
    public int ContextLength { get; init; }

    /// <summary>Our KV cache format (llama.cpp keeps its own default, F16).</summary>
    public EdgeLlm.Kernels.Model.KvCacheType KvCache { get; init; } = EdgeLlm.Kernels.Model.KvCacheType.Auto;

    public bool VsLlamaCpp { get; init; }

    public string? LlamaCppPlugin { get; init; }

    /// <summary>
    /// The file llama.cpp runs (<c>--llamacpp-model</c>): the ggml file of the same weights when <see cref="ModelPath"/>
    /// is interleaved (docs/interleaved.md), which llama.cpp cannot read; null = <see cref="ModelPath"/>.
    /// </summary>
    public string? LlamaCppModelPath { get; init; }

    /// <summary>The file llama.cpp runs.</summary>
    public string LlamaCppModel => LlamaCppModelPath ?? ModelPath;
}
