using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.Kernels;

/// <summary>How a model is opened.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Worker threads for the matrix products (the calling thread counts as one).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>KV cache length in tokens; 0 takes the model's trained context length.</summary>
    public int ContextLength { get; init; }
}

/// <summary>
/// A memory-mapped GGUF model with its tokenizer, ready to generate. One generation at a time:
/// a second concurrent call throws <see cref="InvalidOperationException"/>.
/// </summary>
public sealed class LanguageModel : IDisposable
{
    private LanguageModel()
    {
    }

    public static LanguageModel Load(string path, ModelLoadOptions? options = null) =>
        throw new NotImplementedException("engine lands with issue 2");

    /// <summary>Model name from general.name, else the file name.</summary>
    public string Name { get; private set; } = "";

    /// <summary>The kernel path chosen for this CPU, e.g. "avx2" or "arm64-dotprod".</summary>
    public string KernelPath { get; private set; } = "";

    /// <summary>Tokens the KV cache holds (prompt + completion).</summary>
    public int ContextLength { get; private set; }

    /// <summary>Number of tokens the prompt encodes to (BOS included).</summary>
    public int CountTokens(string text, bool addBos = true) => throw new NotImplementedException();

    /// <summary>Streams a completion. Computes on the enumerating thread; the last event carries the statistics.</summary>
    public IAsyncEnumerable<TokenEvent> GenerateAsync(string prompt, GenerationOptions options, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    public void Dispose()
    {
    }
}
