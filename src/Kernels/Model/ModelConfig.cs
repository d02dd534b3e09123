using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Model;

/// <summary>Hyper-parameters of a llama-family model, read from llama.cpp's GGUF keys.</summary>
public sealed record ModelConfig
{
    public required string Architecture { get; init; }
    public required string Name { get; init; }
    public required int Dim { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int HiddenDim { get; init; }
    public required int VocabSize { get; init; }
    public required int ContextLength { get; init; }
    public required int HeadDim { get; init; }
    public required int RopeDims { get; init; }
    public float RmsEps { get; init; } = 1e-5f;
    public float RopeTheta { get; init; } = 10000f;

    /// <summary>MobileLLM-LS: every stored block runs this many times in a row (1 = no sharing).</summary>
    public int LayerRepeats { get; init; } = 1;

    public int KvDim => KvHeads * HeadDim;

    /// <summary>Blocks actually executed per token (stored blocks times repeats).</summary>
    public int EffectiveLayers => Layers * LayerRepeats;

    /// <summary>The GGUF key under which we record layer sharing (llama.cpp has none).</summary>
    public const string LayerRepeatsKey = "edgellm.layer_repeats";

    /// <summary>Reads and validates the llama.* keys; any problem is a <see cref="GgufFormatException"/>.</summary>
    public static ModelConfig FromGguf(GgufFile file)
    {
        string arch = file.GetString("general.architecture");
        if (arch != "llama")
        {
            throw new GgufFormatException(file.FilePath, $"architecture '{arch}' is not supported (only 'llama')");
        }

        int Int(string key, long min, long max)
        {
            long v = file.GetInt64(key);
            if (v < min || v > max)
            {
                throw new GgufFormatException(file.FilePath, $"{key} = {v} is out of range [{min}, {max}]");
            }

            return (int)v;
        }

        int dim = Int("llama.embedding_length", 1, 1 << 16);
        int heads = Int("llama.attention.head_count", 1, 1024);
        int kvHeads = file.TryGetInt64("llama.attention.head_count_kv") is null ? heads : Int("llama.attention.head_count_kv", 1, heads);
        if (dim % heads != 0 || heads % kvHeads != 0)
        {
            throw new GgufFormatException(file.FilePath, $"embedding length {dim}, {heads} heads and {kvHeads} KV heads do not divide evenly");
        }

        int headDim = dim / heads;
        int ropeDims = file.TryGetInt64("llama.rope.dimension_count") is null ? headDim : Int("llama.rope.dimension_count", 2, headDim);
        if (ropeDims % 2 != 0)
        {
            throw new GgufFormatException(file.FilePath, $"llama.rope.dimension_count = {ropeDims} must be even");
        }

        var embd = file.GetTensor("token_embd.weight");
        if (embd.Shape.Length != 2 || embd.Shape[0] != dim)
        {
            throw new GgufFormatException(file.FilePath, $"token_embd.weight has shape [{string.Join(", ", embd.Shape)}], expected [{dim}, vocab]");
        }

        if (embd.Shape[1] > 1 << 24)
        {
            throw new GgufFormatException(file.FilePath, $"vocabulary of {embd.Shape[1]} tokens is too large");
        }

        float eps = file.TryGetSingle("llama.attention.layer_norm_rms_epsilon") ?? 1e-5f;
        float theta = file.TryGetSingle("llama.rope.freq_base") ?? 10000f;
        if (!(eps > 0 && eps < 1) || !(theta > 1 && float.IsFinite(theta)))
        {
            throw new GgufFormatException(file.FilePath, $"rms epsilon {eps} or rope base {theta} is out of range");
        }

        return new ModelConfig
        {
            Architecture = arch,
            Name = file.TryGetString("general.name") ?? Path.GetFileNameWithoutExtension(file.FilePath),
            Dim = dim,
            Layers = Int("llama.block_count", 1, 4096),
            Heads = heads,
            KvHeads = kvHeads,
            HiddenDim = Int("llama.feed_forward_length", 1, 1 << 20),
            VocabSize = (int)embd.Shape[1],
            ContextLength = Int("llama.context_length", 1, 1 << 24),
            HeadDim = headDim,
            RopeDims = ropeDims,
            RmsEps = eps,
            RopeTheta = theta,
            LayerRepeats = file.TryGetInt64(LayerRepeatsKey) is null ? 1 : Int(LayerRepeatsKey, 1, 16),
        };
    }
}
