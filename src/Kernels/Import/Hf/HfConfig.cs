using System.Text.Json;
using EdgeLlm.Kernels.Model;

namespace EdgeLlm.Kernels.Import.Hf;

/// <summary>
/// The parts of a Hugging Face <c>config.json</c> that a llama / MobileLLM model needs, validated: anything the
/// engine cannot run (biases, RoPE scaling, another activation, a partial rotary dimension) is rejected with a
/// message that names the file and the key.
/// </summary>
public sealed record HfConfig
{
    public required string Path { get; init; }
    public required string ModelType { get; init; }
    public required int HiddenSize { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int IntermediateSize { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxPositions { get; init; }
    public required float RmsEps { get; init; }
    public required float RopeTheta { get; init; }

    /// <summary>MobileLLM's <c>share_embedding</c> or <c>tie_word_embeddings</c>: the classifier is the embedding.</summary>
    public required bool TiedByConfig { get; init; }

    /// <summary>MobileLLM-LS (<c>layer_sharing</c>): each stored block runs twice in a row.</summary>
    public required bool LayerSharing { get; init; }

    public int HeadDim => HiddenSize / Heads;

    public int KvDim => HeadDim * KvHeads;

    public static HfConfig Read(string path)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: expected a JSON object");
        }

        InvalidDataException Bad(string what) => new($"{path}: {what}");

        JsonElement? Get(string key) => root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        int Int(string key, int min, int max, int? fallback = null)
        {
            if (Get(key) is not { } v)
            {
                return fallback ?? throw Bad($"'{key}' is missing");
            }

            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n) || n < min || n > max)
            {
                throw Bad($"'{key}' = {v.GetRawText()} is not an integer in [{min}, {max}]");
            }

            return (int)n;
        }

        float Float(string key, float fallback)
        {
            if (Get(key) is not { } v)
            {
                return fallback;
            }

            if (v.ValueKind != JsonValueKind.Number || !float.IsFinite(v.GetSingle()))
            {
                throw Bad($"'{key}' = {v.GetRawText()} is not a number");
            }

            return v.GetSingle();
        }

        bool Bool(string key)
        {
            if (Get(key) is not { } v)
            {
                return false;
            }

            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Bad($"'{key}' = {v.GetRawText()} is not true or false"),
            };
        }

        string modelType = Get("model_type") is { ValueKind: JsonValueKind.String } mt ? mt.GetString()! : throw Bad("'model_type' is missing");
        if (modelType is not ("llama" or "mobilellm"))
        {
            throw Bad($"model_type '{modelType}' is not supported (llama or mobilellm)");
        }

        // What the engine cannot run.
        foreach (string key in new[] { "attention_bias", "mlp_bias" })
        {
            if (Bool(key))
            {
                throw Bad($"'{key}' is true: biases are not supported");
            }
        }

        if (Get("rope_scaling") is { } scaling)
        {
            throw Bad($"'rope_scaling' = {scaling.GetRawText()} is not supported (only plain RoPE)");
        }

        string act = Get("hidden_act") is { ValueKind: JsonValueKind.String } a ? a.GetString()! : "silu";
        if (act != "silu")
        {
            throw Bad($"hidden_act '{act}' is not supported (only silu, i.e. SwiGLU)");
        }

        if (Float("partial_rotary_factor", 1f) != 1f)
        {
            throw Bad("'partial_rotary_factor' other than 1 is not supported");
        }

        int hidden = Int("hidden_size", 1, 1 << 16);
        int heads = Int("num_attention_heads", 1, 1024);
        int kvHeads = Int("num_key_value_heads", 1, heads, fallback: heads);
        if (hidden % heads != 0 || heads % kvHeads != 0 || (hidden / heads) % 2 != 0)
        {
            throw Bad($"hidden_size {hidden}, {heads} attention heads and {kvHeads} KV heads do not divide evenly into even head dimensions");
        }

        if (Get("head_dim") is not null && Int("head_dim", 1, 1 << 16) != hidden / heads)
        {
            throw Bad($"'head_dim' {Int("head_dim", 1, 1 << 16)} differs from hidden_size / num_attention_heads = {hidden / heads}: not supported");
        }

        float eps = Float("rms_norm_eps", 1e-6f);
        float theta = Float("rope_theta", 10000f);
        if (!(eps > 0 && eps < 1) || !(theta > 1))
        {
            throw Bad($"rms_norm_eps {eps} or rope_theta {theta} is out of range");
        }

        return new HfConfig
        {
            Path = path,
            ModelType = modelType,
            HiddenSize = hidden,
            Layers = Int("num_hidden_layers", 1, 4096),
            Heads = heads,
            KvHeads = kvHeads,
            IntermediateSize = Int("intermediate_size", 1, 1 << 20),
            VocabSize = Int("vocab_size", 1, 1 << 24),
            MaxPositions = Int("max_position_embeddings", 1, 1 << 24, fallback: 2048),
            RmsEps = eps,
            RopeTheta = theta,
            TiedByConfig = Bool("tie_word_embeddings") || Bool("share_embedding"),
            LayerSharing = Bool("layer_sharing"),
        };
    }

    public ModelConfig ToModelConfig(string name) => new()
    {
        Architecture = "llama",
        Name = name,
        Dim = HiddenSize,
        Layers = Layers,
        Heads = Heads,
        KvHeads = KvHeads,
        HiddenDim = IntermediateSize,
        VocabSize = VocabSize,
        ContextLength = MaxPositions,
        HeadDim = HeadDim,
        RopeDims = HeadDim,
        RmsEps = RmsEps,
        RopeTheta = RopeTheta,
        LayerRepeats = LayerSharing ? 2 : 1,
    };
}
