using EdgeLlm.Kernels;
using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Model;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>What the service needs from a language model. One generation at a time.</summary>
public interface IInferenceEngine : IDisposable
{
    string ModelName { get; }

    string KernelPath { get; }

    int ContextLength { get; }

    int CountTokens(string text);

    IAsyncEnumerable<TokenEvent> GenerateAsync(string prompt, GenerationOptions options, CancellationToken cancellationToken);
}
