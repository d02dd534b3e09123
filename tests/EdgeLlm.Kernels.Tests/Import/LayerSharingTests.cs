using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Import;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Tests.Oracle;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Import;

/// <summary>
/// MobileLLM-LS runs each stored block twice in a row, each pass with its own KV cache. Proven by writing the
/// same random blocks twice: once as an LS model (k blocks, edgellm.layer_repeats = 2) and once as a plain
/// model with every block duplicated (2k blocks), which llama.cpp can also run.
/// </summary>
public class LayerSharingTests
{
    private static (string Shared, string Duplicated) WritePair(GgmlType type)
    {
        var shared = RandomLlama.Shape(dim: 64, hidden: 128, layers: 3, heads: 4, kvHeads: 2) with { LayerRepeats = 2, Name = "ls" };
        var plain = shared with { Layers = 6, LayerRepeats = 1, Name = "dup" };
        var tok = LlamaTokenizer.FromLlama2cFile(TestModels.TokenizerPath);
        var ls = new LlamaGgufBuilder(shared, tok, type, tiedOutput: true);
        var dup = new LlamaGgufBuilder(plain, tok, type, tiedOutput: true);

        void Both(string name, int seed, float mean, float std, long[] shape, params string[] dupNames)
        {
            float[] Make() => Normal(seed, (int)shape.Aggregate(1L, (a, b) => a * b), mean, std);
            ls.AddWeight(name, shape, Make);
            foreach (string d in dupNames)
            {
                dup.AddWeight(d, shape, Make);
            }
        }

        int seed = 100;
        Both("token_embd.weight", seed++, 0, 0.05f, [64, 512], "token_embd.weight");
        for (int l = 0; l < 3; l++)
        {
            foreach (var (suffix, shape, norm) in new (string, long[], bool)[]
            {
                ("attn_norm.weight", [64], true), ("attn_q.weight", [64, 64], false), ("attn_k.weight", [64, 32], false),
                ("attn_v.weight", [64, 32], false), ("attn_output.weight", [64, 64], false), ("ffn_norm.weight", [64], true),
                ("ffn_gate.weight", [64, 128], false), ("ffn_down.weight", [128, 64], false), ("ffn_up.weight", [64, 128], false),
            })
            {
                Both($"blk.{l}.{suffix}", seed++, norm ? 1 : 0, norm ? 0.1f : 0.08f, shape, $"blk.{2 * l}.{suffix}", $"blk.{(2 * l) + 1}.{suffix}");
            }
        }

        Both("output_norm.weight", seed, 1, 0.1f, [64], "output_norm.weight");
        string a = TestModels.TempFile($"ls-{type}.gguf"), b = TestModels.TempFile($"dup-{type}.gguf");
        ls.WriteTo(a);
        dup.WriteTo(b);
        return (a, b);
    }

    private static float[] Normal(int seed, int n, float mean, float std)
    {
        var v = new float[n];
        SyntheticModel.FillNormal(v, (ulong)seed, std);
        for (int i = 0; i < n; i++)
        {
            v[i] += mean;
        }

        return v;
    }

    [TestCase(GgmlType.F32)]
    [TestCase(GgmlType.Q8_0)]
    public void SharedBlocksGiveExactlyTheLogitsOfDuplicatedBlocks(GgmlType type)
    {
        var (shared, duplicated) = WritePair(type);
        using var a = LanguageModel.Load(shared, new ModelLoadOptions { Threads = 1 });
        using var b = LanguageModel.Load(duplicated, new ModelLoadOptions { Threads = 1 });
        Assert.That((a.Config.Layers, a.Config.LayerRepeats, a.Config.EffectiveLayers), Is.EqualTo((3, 2, 6)));
        Assert.That(a.Transformer.Cache.Passes, Is.EqualTo(6), "each pass has its own KV slots");

        int[] tokens = [1, 300, 301, 302, 17, 42, 99, 260];
        for (int pos = 0; pos < tokens.Length; pos++)
        {
            float[] la = a.Transformer.Forward(tokens[pos], pos).ToArray();
            float[] lb = b.Transformer.Forward(tokens[pos], pos).ToArray();
            Assert.That(la, Is.EqualTo(lb), $"position {pos}");
        }
    }

    [Test]
    public void SharedModelMatchesLlamaCppOnTheDuplicatedFile()
    {
        var (shared, duplicated) = WritePair(GgmlType.F32);
        using var lm = LanguageModel.Load(shared, new ModelLoadOptions { Threads = 1 });
        int[] tokens = [1, 300, 301, 302, 17, 42];
        float[][] theirs = LlamaCpp.Logits(duplicated, tokens);
        for (int pos = 0; pos < tokens.Length; pos++)
        {
            float[] ours = lm.Transformer.Forward(tokens[pos], pos).ToArray();
            double scale = theirs[pos].Max(MathF.Abs);
            double err = ours.Zip(theirs[pos]).Max(z => Math.Abs(z.First - z.Second)) / scale;
            Assert.That(err, Is.LessThan(1e-4), $"position {pos}");
        }
    }

    [Test]
    public void LayerSharingIsRecordedUnderTheEdgellmKey()
    {
        var (shared, duplicated) = WritePair(GgmlType.F32);
        using var a = GgufFile.Open(shared);
        using var b = GgufFile.Open(duplicated);
        Assert.That(a.GetInt64(ModelConfig.LayerRepeatsKey), Is.EqualTo(2));
        Assert.That(b.TryGetInt64(ModelConfig.LayerRepeatsKey), Is.Null, "plain models carry no edgellm key");
    }
}
