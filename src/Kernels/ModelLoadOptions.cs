using EdgeLlm.Kernels.Model;

namespace EdgeLlm.Kernels;

/// <summary>How a model is opened.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Worker threads for the matrix products (the calling thread counts as one).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>KV cache length in tokens; 0 takes the model's trained context length.</summary>
    public int ContextLength { get; init; }

    /// <summary>Kernel path to use instead of the best one this CPU supports (tests, benchmarks).</summary>
    public Quant.KernelPath? KernelPath { get; init; }

    /// <summary>
    /// Whether to run the matrix × vector kernels made for weights that stream from memory (true) or sit in cache
    /// (false); null decides at load: streaming when the model's tensors are larger than the last-level cache or its
    /// size is unknown. Same results either way, only the speed differs (docs/architecture.md, "Kernel table and paths").
    /// </summary>
    public bool? StreamingWeights { get; init; }

    /// <summary>
    /// Storage of the KV cache: F32 (default), F16 or Q8_0 (3.8× smaller than F32; MobileLLM-125M at 2 048 tokens
    /// needs 25 MB instead of 94 MB). Q8_0 needs a head size that is a multiple of 32.
    /// </summary>
    public KvCacheType KvCacheType { get; init; } = KvCacheType.F32;

    /// <summary>
    /// After the load, run one blocking, compacting, aggressive full garbage collection so the several megabytes that
    /// parsing the metadata and building the tokenizer leave behind go back to the OS at once (generation allocates
    /// almost nothing afterwards, so otherwise those pages stay committed for the life of the process: MobileLLM-125M
    /// measured 14 MB less private memory after warm-up; the collection takes a few milliseconds). This sets process
    /// GC behaviour, so it is off unless the host asks for it (the <c>edgellm</c> CLI and service do).
    /// </summary>
    public bool CollectAfterLoad { get; init; }
}
