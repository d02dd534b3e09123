using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Import.Hf;

/// <summary>
/// Converts a Hugging Face llama / MobileLLM folder (see <see cref="HfCheckpoint"/>) to a llama-architecture GGUF
/// that this engine and llama.cpp both run.
/// </summary>
/// <remarks>
/// <para>
/// Every tensor is checked (present, shape as config.json implies, dtype F32/F16/BF16) before anything is written,
/// so an unusable checkpoint fails fast with the file and tensor named. Tensors are then read, converted and
/// encoded one at a time while the GGUF is written.
/// </para>
/// <para>
/// RoPE: Hugging Face's Llama rotates the two halves of each head (rotate_half: element j pairs with j + d/2);
/// llama.cpp's llama architecture rotates adjacent pairs (2j with 2j+1). As llama.cpp's own converter does, the rows
/// of q_proj (per attention head) and k_proj (per KV head) are reordered so that new row 2j+i of a head is old row
/// i·d/2 + j; both engines then compute exactly what the Hugging Face model computes.
/// </para>
/// <para>
/// Classifier: no <c>lm_head.weight</c> (MobileLLM's checkpoints) or one equal to the embeddings → tied, no
/// <c>output.weight</c>; a different one → <c>output.weight</c>. Layer sharing (<c>layer_sharing</c>) is recorded
/// as <c>edgellm.layer_repeats = 2</c>.
/// </para>
/// </remarks>
public static class HfImporter
{
    private const string InvFreqSuffix = ".self_attn.rotary_emb.inv_freq";

    /// <summary>Converts the folder <paramref name="inputDir"/> to the GGUF <paramref name="outputPath"/>.</summary>
    /// <param name="inputDir">A Hugging Face model folder with config.json, tokenizer.model and the weights.</param>
    /// <param name="outputPath">The GGUF to write (written to a temporary file first, then moved into place).</param>
    /// <param name="type">F32, F16, Q8_0 or Q4_0 (see <see cref="LlamaGgufBuilder"/> for which tensors take it).</param>
    /// <param name="progress">Where to report progress (e.g. stderr), or null.</param>
    /// <exception cref="InvalidDataException">The checkpoint is unusable; the message names the file and tensor.</exception>
    public static void Convert(string inputDir, string outputPath, GgmlType type, TextWriter? progress) =>
        Convert(inputDir, outputPath, type, progress, name: null);

    /// <inheritdoc cref="Convert(string, string, GgmlType, TextWriter?)"/>
    /// <param name="name">general.name; null for the folder's name.</param>
    public static void Convert(string inputDir, string outputPath, GgmlType type, TextWriter? progress, string? name)
    {
        ArgumentNullException.ThrowIfNull(inputDir);
        ArgumentNullException.ThrowIfNull(outputPath);
        using var ckpt = HfCheckpoint.Open(inputDir);
        var c = ckpt.Config;
        progress?.WriteLine($"hf: {inputDir}: {c.ModelType}, {c.Layers} layers{(c.LayerSharing ? " (each run twice)" : "")}, dim {c.HiddenSize}, "
            + $"{c.Heads} heads / {c.KvHeads} KV, FFN {c.IntermediateSize}, vocab {c.VocabSize}; weights: {ckpt.WeightsDescription}, {ckpt.Tensors.Count} tensors");

        var tokenizer = LlamaTokenizer.FromSentencePieceModel(ckpt.TokenizerPath);
        if (tokenizer.VocabSize != c.VocabSize)
        {
            throw new InvalidDataException($"{ckpt.TokenizerPath} has {tokenizer.VocabSize} pieces but {c.Path} says vocab_size {c.VocabSize}");
        }

        var plan = Plan(ckpt);
        bool tied = IsTied(ckpt, progress);
        if (!tied)
        {
            plan.Add(new("output.weight", Require(ckpt, "lm_head.weight", c.VocabSize, c.HiddenSize), 0));
        }

        name ??= Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(inputDir)));
        var builder = new LlamaGgufBuilder(c.ToModelConfig(name), tokenizer, type, tied);
        int done = 0;
        foreach (var step in plan)
        {
            long[] ggmlShape = step.Source.Shape.Reverse().ToArray();
            builder.AddWeight(step.GgufName, ggmlShape, () =>
            {
                done++;
                progress?.WriteLine($"hf: [{done}/{plan.Count}] {step.GgufName} <- {step.Source.Name} ({step.Source.DType} [{string.Join(", ", step.Source.Shape)}]) as {builder.TypeFor(step.GgufName, ggmlShape)}");
                float[] data = step.Source.ReadFloats();
                return step.PermuteHeads > 0 ? PermuteForAdjacentPairRope(data, step.PermuteHeads, (int)step.Source.Shape[1]) : data;
            });
        }

        string full = Path.GetFullPath(outputPath);
        string temp = full + ".partial";
        try
        {
            builder.WriteTo(temp);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        progress?.WriteLine($"hf: wrote {full} ({type}, {(tied ? "tied classifier" : "separate output.weight")}{(c.LayerSharing ? ", layer sharing x2" : "")})");
    }

    /// <summary>
    /// Reorders the rows of a q or k projection ([heads·d, in], row-major) from Hugging Face's rotate-half layout to
    /// llama.cpp's adjacent-pair layout: within each head, new row 2j+i = old row i·d/2 + j.
    /// </summary>
    public static float[] PermuteForAdjacentPairRope(ReadOnlySpan<float> w, int heads, int rowLength)
    {
        int rows = w.Length / rowLength;
        if (rows * rowLength != w.Length || rows % heads != 0 || (rows / heads) % 2 != 0)
        {
            throw new ArgumentException($"{w.Length} values are not {heads} heads of an even number of rows of {rowLength}");
        }

        int headDim = rows / heads, half = headDim / 2;
        var result = new float[w.Length];
        for (int h = 0; h < heads; h++)
        {
            for (int i = 0; i < 2; i++)
            {
                for (int j = 0; j < half; j++)
                {
                    int src = (h * headDim) + (i * half) + j;
                    int dst = (h * headDim) + (2 * j) + i;
                    w.Slice(src * rowLength, rowLength).CopyTo(result.AsSpan(dst * rowLength, rowLength));
                }
            }
        }

        return result;
    }

    private sealed record Step(string GgufName, HfTensor Source, int PermuteHeads);

    /// <summary>Every GGUF tensor but the classifier, each checked against config.json; unknown tensors are rejected.</summary>
    private static List<Step> Plan(HfCheckpoint ckpt)
    {
        var c = ckpt.Config;
        long dim = c.HiddenSize, kv = c.KvDim, ffn = c.IntermediateSize;
        var plan = new List<Step>
        {
            new("token_embd.weight", Require(ckpt, "model.embed_tokens.weight", c.VocabSize, dim), 0),
        };
        for (int l = 0; l < c.Layers; l++)
        {
            string hf = $"model.layers.{l}.", gg = $"blk.{l}.";
            plan.Add(new(gg + "attn_norm.weight", Require(ckpt, hf + "input_layernorm.weight", dim), 0));
            plan.Add(new(gg + "attn_q.weight", Require(ckpt, hf + "self_attn.q_proj.weight", dim, dim), c.Heads));
            plan.Add(new(gg + "attn_k.weight", Require(ckpt, hf + "self_attn.k_proj.weight", kv, dim), c.KvHeads));
            plan.Add(new(gg + "attn_v.weight", Require(ckpt, hf + "self_attn.v_proj.weight", kv, dim), 0));
            plan.Add(new(gg + "attn_output.weight", Require(ckpt, hf + "self_attn.o_proj.weight", dim, dim), 0));
            plan.Add(new(gg + "ffn_norm.weight", Require(ckpt, hf + "post_attention_layernorm.weight", dim), 0));
            plan.Add(new(gg + "ffn_gate.weight", Require(ckpt, hf + "mlp.gate_proj.weight", ffn, dim), 0));
            plan.Add(new(gg + "ffn_up.weight", Require(ckpt, hf + "mlp.up_proj.weight", ffn, dim), 0));
            plan.Add(new(gg + "ffn_down.weight", Require(ckpt, hf + "mlp.down_proj.weight", dim, ffn), 0));
        }

        plan.Add(new("output_norm.weight", Require(ckpt, "model.norm.weight", dim), 0));

        var known = plan.Select(s => s.Source.Name).Append("lm_head.weight").ToHashSet(StringComparer.Ordinal);
        foreach (var t in ckpt.Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            // Older transformers saved RoPE's frequency buffer; it is recomputed from rope_theta.
            if (known.Contains(t.Name) || t.Name.EndsWith(InvFreqSuffix, StringComparison.Ordinal))
            {
                continue;
            }

            string why = t.Name.EndsWith(".bias", StringComparison.Ordinal) ? "biases are not supported"
                : t.Name.StartsWith("model.layers.", StringComparison.Ordinal) ? $"not part of a llama block, or beyond num_hidden_layers {c.Layers}"
                : "not a llama weight";
            throw new InvalidDataException($"{t.File}: unexpected tensor '{t.Name}' ({why})");
        }

        return plan;
    }

    private static HfTensor Require(HfCheckpoint ckpt, string name, params long[] shape)
    {
        if (!ckpt.Tensors.TryGetValue(name, out var t))
        {
            throw new InvalidDataException($"{ckpt.Directory}: tensor '{name}' is missing from {ckpt.WeightsDescription}");
        }

        if (!t.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException($"{t.File}: tensor '{name}' has shape [{string.Join(", ", t.Shape)}], "
                + $"but {Path.GetFileName(ckpt.Config.Path)} implies [{string.Join(", ", shape)}]");
        }

        return t;
    }

    /// <summary>
    /// No lm_head, one equal to the embeddings, or a config that ties them, means the classifier is the embedding
    /// matrix. (MobileLLM's configs say tie_word_embeddings false yet ship no lm_head: absence decides.)
    /// </summary>
    private static bool IsTied(HfCheckpoint ckpt, TextWriter? progress)
    {
        var c = ckpt.Config;
        if (!ckpt.Tensors.TryGetValue("lm_head.weight", out var head))
        {
            progress?.WriteLine("hf: no lm_head.weight: the classifier is the embedding matrix (tied)");
            return true;
        }

        var embd = Require(ckpt, "model.embed_tokens.weight", c.VocabSize, c.HiddenSize);
        Require(ckpt, "lm_head.weight", c.VocabSize, c.HiddenSize);
        if (c.TiedByConfig)
        {
            // transformers ties the weights on load, so the model runs on the embeddings whatever lm_head holds.
            progress?.WriteLine($"hf: {Path.GetFileName(c.Path)} ties the embeddings (tie_word_embeddings / share_embedding): lm_head.weight is not used");
            return true;
        }

        progress?.WriteLine("hf: comparing lm_head.weight with the embeddings");
        bool equal = head.DType == embd.DType
            ? head.ReadBytes().AsSpan().SequenceEqual(embd.ReadBytes())
            : head.ReadFloats().AsSpan().SequenceEqual(embd.ReadFloats());
        progress?.WriteLine(equal
            ? "hf: lm_head.weight equals the embeddings: tied (no output.weight)"
            : "hf: lm_head.weight differs from the embeddings: written as output.weight");
        return equal;
    }
}
