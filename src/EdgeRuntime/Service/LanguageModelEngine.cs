using EdgeLlm.Kernels;
using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Model;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>The engine of src/Kernels behind <see cref="IInferenceEngine"/>.</summary>
public sealed class LanguageModelEngine(LanguageModel model) : IInferenceEngine
{
    /// <summary>Loads the model; <paramref name="collectAfterLoad"/>: see <see cref="ModelLoadOptions.CollectAfterLoad"/> (the service host opts in).</summary>
    public static LanguageModelEngine Load(string path, int threads, int contextLength, KvCacheType kvCache = KvCacheType.Auto, bool collectAfterLoad = false) =>
        new(LanguageModel.Load(path, new ModelLoadOptions
        {
            Threads = threads > 0 ? threads : Environment.ProcessorCount,
            ContextLength = contextLength,
            KvCacheType = kvCache,
            CollectAfterLoad = collectAfterLoad,
        }));

    public string ModelName => model.Name;

    public string KernelPath => model.KernelPath;

    public int ContextLength => model.ContextLength;

    public int CountTokens(string text) => model.CountTokens(text, addBos: true);

    public IAsyncEnumerable<TokenEvent> GenerateAsync(string prompt, GenerationOptions options, CancellationToken cancellationToken) =>
        model.GenerateAsync(prompt, options, cancellationToken);

    public void Dispose() => model.Dispose();
}
