using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Quant;
using EdgeLlm.Kernels.Threading;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels;

/// <summary>
/// A memory-mapped GGUF model with its tokenizer, ready to generate. Two ways to drive it: <see cref="GenerateAsync"/>
/// (tokenize, prefill, sample, stream text) and the step API (<see cref="Prefill"/> a batch of tokens,
/// <see cref="Decode"/> one, read <see cref="Logits"/>) over one sequence that <see cref="ResetSequence"/> starts
/// again. One call at a time: a step or a generation while a generation runs throws
/// <see cref="InvalidOperationException"/>; a generation starts a new sequence.
/// </summary>
public sealed class LanguageModel : IDisposable
{
    private readonly GgufFile _file;
    private readonly WorkerPool _pool;
    private readonly Generator _generator;
    private bool _hasLogits;

    private LanguageModel(GgufFile file, ModelWeights weights, LlamaTokenizer tokenizer, WorkerPool pool, Transformer transformer)
    {
        _file = file;
        _pool = pool;
        Weights = weights;
        Tokenizer = tokenizer;
        Transformer = transformer;
        _generator = new Generator(transformer, tokenizer);
        Description = ModelDescription.Create(file, weights, transformer, pool.Threads);
    }

    /// <summary>Opens and validates a GGUF model; any problem with the file is a <see cref="GgufFormatException"/>.</summary>
    public static LanguageModel Load(string path, ModelLoadOptions? options = null)
    {
        options ??= new ModelLoadOptions();
        if (options.Threads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"threads must be >= 1, got {options.Threads}");
        }

        KernelPath kernelPath = options.KernelPath ?? KernelSelector.Best;
        _ = KernelTable.For(kernelPath); // throws when this CPU cannot run it, before the file is opened
        var file = GgufFile.Open(path);
        WorkerPool? pool = null;
        try
        {
            var config = ModelConfig.FromGguf(file);
            var weights = ModelWeights.Load(file, config);
            var tokenizer = GgufVocabulary.Load(file);
            if (tokenizer.VocabSize != config.VocabSize)
            {
                throw new GgufFormatException(path, $"the vocabulary has {tokenizer.VocabSize} tokens but token_embd.weight has {config.VocabSize} rows");
            }

            int ctx = options.ContextLength == 0 ? config.ContextLength : options.ContextLength;
            if (ctx < 2 || ctx > config.ContextLength)
            {
                throw new ArgumentOutOfRangeException(nameof(options), $"context length must be in [2, {config.ContextLength}], got {options.ContextLength}");
            }

            bool streaming = options.StreamingWeights
                ?? KernelTable.StreamingWeights(file.Tensors.Sum(t => t.ByteSize), LastLevelCache.Read().Bytes);
            KernelTable kernels = KernelTable.For(kernelPath, streaming);
            pool = new WorkerPool(options.Threads);
            var transformer = new Transformer(config, weights, pool, ctx, options.KvCacheType, kernels);
            var model = new LanguageModel(file, weights, tokenizer, pool, transformer);
            if (options.CollectAfterLoad)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }

            return model;
        }
        catch
        {
            pool?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>What this model is, how it runs here, and the bytes one step reads.</summary>
    public ModelDescription Description { get; }

    public ModelConfig Config => Transformer.Config;

    public LlamaTokenizer Tokenizer { get; }

    /// <summary>Model name from general.name, else the file name.</summary>
    public string Name => Config.Name;

    /// <summary>The kernel path this model runs, e.g. "Avx2".</summary>
    public string KernelPath => Transformer.Kernels.Path.ToString();

    public int Threads => _pool.Threads;

    /// <summary>Tokens the KV cache holds (prompt + completion).</summary>
    public int ContextLength => Transformer.ContextLength;

    /// <summary>Tokens of the current step sequence (the next token goes to this position).</summary>
    public int Position { get; private set; }

    /// <summary>The logits after the last <see cref="Prefill"/> or <see cref="Decode"/> of the current sequence.</summary>
    public ReadOnlySpan<float> Logits => _hasLogits ? Transformer.LastLogits : throw new InvalidOperationException("no step has run since the sequence started");

    internal Transformer Transformer { get; }

    internal ModelWeights Weights { get; }

    internal GgufFile File => _file;

    /// <summary>Number of tokens the prompt encodes to (BOS included when asked).</summary>
    public int CountTokens(string text, bool addBos = true) => Tokenizer.Encode(text, addBos).Length;

    /// <summary>Streams a completion. Computes on the enumerating thread; the last event carries the statistics.</summary>
    public IAsyncEnumerable<TokenEvent> GenerateAsync(string prompt, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        ResetSequence();
        return _generator.GenerateAsync(prompt, options, cancellationToken);
    }

    /// <summary>Starts a new step sequence at position 0 (the KV cache is overwritten as it goes).</summary>
    public void ResetSequence()
    {
        Position = 0;
        _hasLogits = false;
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> at the next positions (in batches through the matrix × matrix kernels) and returns
    /// the logits of the last one. The same cache and logits as a <see cref="Decode"/> per token, bit for bit.
    /// </summary>
    public ReadOnlySpan<float> Prefill(scoped ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("no tokens to prefill", nameof(tokens));
        }

        return Step(tokens);
    }

    /// <summary>Runs one token at the next position and returns its logits.</summary>
    public ReadOnlySpan<float> Decode(int token) => Step([token]);

    private ReadOnlySpan<float> Step(scoped ReadOnlySpan<int> tokens)
    {
        if ((long)Position + tokens.Length > ContextLength)
        {
            throw new InvalidOperationException($"{tokens.Length} more tokens at position {Position} do not fit the context of {ContextLength}");
        }

        _generator.Enter();
        try
        {
            ReadOnlySpan<float> logits = Transformer.Prefill(tokens, Position);
            Position += tokens.Length;
            _hasLogits = true;
            return logits;
        }
        finally
        {
            _generator.Exit();
        }
    }

    /// <summary>
    /// A grammar bound to this model's vocabulary, the same instance generation uses for it: masks computed through it
    /// (e.g. warming an action grammar at start-up) serve every later generation with that grammar.
    /// </summary>
    public Grammar.TokenGrammar BindGrammar(Grammar.CompiledGrammar grammar) => _generator.Bind(grammar);

    public void Dispose()
    {
        _pool.Dispose();
        _file.Dispose();
    }
}
