using EdgeLlm.Kernels.Model;

namespace EdgeLlm.Kernels.Import;

/// <summary>
/// The official MobileLLM shapes (facebookresearch/MobileLLM config.json of each size). All share the
/// Llama-2 vocabulary of 32 000, a 2 048-token context, RoPE θ 10 000, RMS ε 1e-5, no biases and tied
/// embeddings; the "-ls" variants run each stored block twice.
/// </summary>
public static class MobileLlmPresets
{
    public static IReadOnlyList<string> Names { get; } =
        ["mobilellm-125m", "mobilellm-350m", "mobilellm-600m", "mobilellm-1b", "mobilellm-1.5b",
         "mobilellm-125m-ls", "mobilellm-350m-ls", "mobilellm-600m-ls", "mobilellm-1b-ls", "mobilellm-1.5b-ls"];

    public static ModelConfig Get(string name)
    {
        bool ls = name.EndsWith("-ls", StringComparison.Ordinal);
        string size = ls ? name[..^3] : name;
        (int dim, int layers, int heads, int kvHeads, int ffn) = size switch
        {
            "mobilellm-125m" => (576, 30, 9, 3, 1536),
            "mobilellm-350m" => (960, 32, 15, 5, 2560),
            "mobilellm-600m" => (1152, 40, 18, 6, 3072),
            "mobilellm-1b" => (1280, 54, 20, 5, 3584),
            "mobilellm-1.5b" => (1600, 54, 25, 5, 4352),
            _ => throw new ArgumentException($"unknown preset '{name}' (one of: {string.Join(", ", Names)})"),
        };

        return new ModelConfig
        {
            Architecture = "llama",
            Name = name,
            Dim = dim,
            Layers = layers,
            Heads = heads,
            KvHeads = kvHeads,
            HiddenDim = ffn,
            VocabSize = 32000,
            ContextLength = 2048,
            HeadDim = dim / heads,
            RopeDims = dim / heads,
            RmsEps = 1e-5f,
            RopeTheta = 10000f,
            LayerRepeats = ls ? 2 : 1,
        };
    }

    /// <summary>Parameters of a tied llama of this shape (embedding + blocks + final norm).</summary>
    public static long ParameterCount(ModelConfig c) =>
        ((long)c.VocabSize * c.Dim) + c.Dim
        + ((long)c.Layers * ((2L * c.Dim * c.Dim) + (2L * c.Dim * c.KvDim) + (3L * c.Dim * c.HiddenDim) + (2L * c.Dim)));
}
