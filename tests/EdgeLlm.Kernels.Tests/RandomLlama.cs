using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Import;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests;

/// <summary>
/// Small random llama models with the real tok512 vocabulary, for shapes stories260K lacks
/// (MobileLLM's 576 / 1536 widths, which llama.cpp's quantizer accepts).
/// </summary>
public static class RandomLlama
{
    public static ModelConfig Shape(int dim, int hidden, int layers, int heads, int kvHeads, int context = 256) => new()
    {
        Architecture = "llama",
        Name = $"random-{dim}x{layers}",
        Dim = dim,
        Layers = layers,
        Heads = heads,
        KvHeads = kvHeads,
        HiddenDim = hidden,
        VocabSize = 512,
        ContextLength = context,
        HeadDim = dim / heads,
        RopeDims = dim / heads,
    };

    /// <summary>Writes the model with weights ~ N(0, std) and norms ~ 1 + N(0, 0.1); the same seed gives the same floats.</summary>
    public static string Write(ModelConfig c, GgmlType type, int seed, float std = 0.02f, bool tied = true)
    {
        string path = TestModels.TempFile($"{c.Name}-{type}-{seed}.gguf");
        var tok = LlamaTokenizer.FromLlama2cFile(TestModels.TokenizerPath);
        var b = new LlamaGgufBuilder(c, tok, type, tied);
        int n = 0;
        void Add(string name, float mean, float s, params long[] shape)
        {
            int tensorSeed = (seed * 1000) + n++; // HashCode.Combine would differ per process
            b.AddWeight(name, shape, () => Normal(tensorSeed, (int)shape.Aggregate(1L, (a, x) => a * x), mean, s));
        }

        Add("token_embd.weight", 0, std, c.Dim, c.VocabSize);
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"blk.{l}.";
            Add(p + "attn_norm.weight", 1, 0.1f, c.Dim);
            Add(p + "attn_q.weight", 0, std, c.Dim, c.Dim);
            Add(p + "attn_k.weight", 0, std, c.Dim, c.KvDim);
            Add(p + "attn_v.weight", 0, std, c.Dim, c.KvDim);
            Add(p + "attn_output.weight", 0, std, c.Dim, c.Dim);
            Add(p + "ffn_norm.weight", 1, 0.1f, c.Dim);
            Add(p + "ffn_gate.weight", 0, std, c.Dim, c.HiddenDim);
            Add(p + "ffn_down.weight", 0, std, c.HiddenDim, c.Dim);
            Add(p + "ffn_up.weight", 0, std, c.Dim, c.HiddenDim);
        }

        Add("output_norm.weight", 1, 0.1f, c.Dim);
        if (!tied)
        {
            Add("output.weight", 0, std, c.Dim, c.VocabSize);
        }

        b.WriteTo(path);
        return path;
    }

    private static float[] Normal(int seed, int count, float mean, float std)
    {
        var rng = new Random(seed);
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            v[i] = mean + (std * (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)));
        }

        return v;
    }
}
