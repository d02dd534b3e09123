using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Import;

/// <summary>
/// Random-weight models of real shapes, for measuring speed and memory without the real checkpoint:
/// weights ~ N(0, 0.02) (MobileLLM's init), norms 1.0. Each tensor has its own seed derived from the model
/// seed and the tensor's index, so a seed reproduces the file byte for byte.
/// </summary>
public static class SyntheticModel
{
    public const float WeightStd = 0.02f;

    public static void Write(ModelConfig c, GgmlType type, ulong seed, string output, LlamaTokenizer? tokenizer = null, TextWriter? progress = null)
    {
        tokenizer ??= PlaceholderVocabulary(c.VocabSize);
        if (tokenizer.VocabSize != c.VocabSize)
        {
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} tokens, the {c.Name} shape needs {c.VocabSize}");
        }

        var b = new LlamaGgufBuilder(c, tokenizer, type, tiedOutput: true);
        ulong index = 0;
        int total = 2 + (9 * c.Layers), done = 0;
        void Add(string name, bool norm, params long[] shape)
        {
            ulong s = seed ^ (0x9E3779B97F4A7C15UL * ++index);
            b.AddWeight(name, shape, () =>
            {
                var data = new float[shape.Aggregate(1L, (a, x) => a * x)];
                if (norm)
                {
                    Array.Fill(data, 1f);
                }
                else
                {
                    FillNormal(data, s, WeightStd);
                }

                if (++done * 10 / total != (done - 1) * 10 / total)
                {
                    progress?.WriteLine($"{done}/{total} tensors");
                }

                return data;
            });
        }

        Add("token_embd.weight", false, c.Dim, c.VocabSize);
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"blk.{l}.";
            Add(p + "attn_norm.weight", true, c.Dim);
            Add(p + "attn_q.weight", false, c.Dim, c.Dim);
            Add(p + "attn_k.weight", false, c.Dim, c.KvDim);
            Add(p + "attn_v.weight", false, c.Dim, c.KvDim);
            Add(p + "attn_output.weight", false, c.Dim, c.Dim);
            Add(p + "ffn_norm.weight", true, c.Dim);
            Add(p + "ffn_gate.weight", false, c.Dim, c.HiddenDim);
            Add(p + "ffn_down.weight", false, c.HiddenDim, c.Dim);
            Add(p + "ffn_up.weight", false, c.Dim, c.HiddenDim);
        }

        Add("output_norm.weight", true, c.Dim);
        b.WriteTo(output);
    }

    /// <summary>
    /// A vocabulary of the right size when no real tokenizer is given: the Llama layout (unk, BOS, EOS, 256 byte
    /// tokens) followed by placeholder pieces, so llama.cpp and our tokenizer load it. Text from a random model is
    /// noise either way.
    /// </summary>
    public static LlamaTokenizer PlaceholderVocabulary(int size)
    {
        if (size < 3 + 256 + 1)
        {
            throw new ArgumentException($"a vocabulary needs at least 260 tokens, got {size}");
        }

        var pieces = new List<string>(size) { "<unk>", "<s>", "</s>" };
        var types = new List<TokenType>(size) { TokenType.Unknown, TokenType.Control, TokenType.Control };
        for (int b = 0; b < 256; b++)
        {
            pieces.Add($"<0x{b:X2}>");
            types.Add(TokenType.Byte);
        }

        pieces.Add("\u2581");
        types.Add(TokenType.Normal);
        for (int i = pieces.Count; i < size; i++)
        {
            pieces.Add($"\u2581t{i}");
            types.Add(TokenType.Normal);
        }

        float[] scores = Enumerable.Range(0, size).Select(i => -(float)i).ToArray();
        return new LlamaTokenizer(pieces, scores, types);
    }

    /// <summary>N(0, std) from xoshiro256** and Box–Muller: deterministic across platforms and .NET versions.</summary>
    internal static void FillNormal(Span<float> data, ulong seed, float std)
    {
        var rng = new Sampling.Xoshiro256(seed);
        for (int i = 0; i < data.Length; i += 2)
        {
            double u1 = ((rng.NextUInt64() >> 11) + 1) * (1.0 / 9007199254740993.0); // (0, 1]
            double u2 = (rng.NextUInt64() >> 11) * (1.0 / 9007199254740992.0);
            double r = Math.Sqrt(-2 * Math.Log(u1)) * std;
            data[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < data.Length)
            {
                data[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
            }
        }
    }
}
