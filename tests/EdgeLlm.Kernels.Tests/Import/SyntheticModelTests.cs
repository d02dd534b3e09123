using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Import;
using EdgeLlm.Kernels.Tests.Oracle;

namespace EdgeLlm.Kernels.Tests.Import;

public class SyntheticModelTests
{
    // Parameter counts of the official checkpoints' shapes (tied embeddings, no biases).
    [TestCase("mobilellm-125m", 124_635_456L)]
    [TestCase("mobilellm-350m", 345_355_200L)]
    [TestCase("mobilellm-600m", 603_188_352L)]
    [TestCase("mobilellm-1b", 1_005_461_760L)]
    [TestCase("mobilellm-1.5b", 1_511_188_800L)]
    public void PresetsHaveTheOfficialParameterCounts(string preset, long parameters)
    {
        Assert.That(MobileLlmPresets.ParameterCount(MobileLlmPresets.Get(preset)), Is.EqualTo(parameters));
        Assert.That(MobileLlmPresets.Get(preset + "-ls").LayerRepeats, Is.EqualTo(2));
    }

    [Test]
    public void PresetsMatchTheOfficialConfigFiles()
    {
        foreach (string size in new[] { "125M", "350M", "600M", "1B", "1.5B" })
        {
            string json = File.ReadAllText(SharedData.PathOf("models", "mobilellm-configs", size, "config.json"));
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            var r = doc.RootElement;
            var c = MobileLlmPresets.Get("mobilellm-" + size.ToLowerInvariant());
            Assert.Multiple(() =>
            {
                Assert.That(c.Dim, Is.EqualTo(r.GetProperty("hidden_size").GetInt32()), size);
                Assert.That(c.Layers, Is.EqualTo(r.GetProperty("num_hidden_layers").GetInt32()), size);
                Assert.That(c.Heads, Is.EqualTo(r.GetProperty("num_attention_heads").GetInt32()), size);
                Assert.That(c.KvHeads, Is.EqualTo(r.GetProperty("num_key_value_heads").GetInt32()), size);
                Assert.That(c.HiddenDim, Is.EqualTo(r.GetProperty("intermediate_size").GetInt32()), size);
                Assert.That(c.VocabSize, Is.EqualTo(r.GetProperty("vocab_size").GetInt32()), size);
                Assert.That(c.ContextLength, Is.EqualTo(r.GetProperty("max_position_embeddings").GetInt32()), size);
            });
        }
    }

    [Test]
    public void UnknownPresetIsRejectedWithTheList() =>
        Assert.That(() => MobileLlmPresets.Get("mobilellm-7b"), Throws.ArgumentException.With.Message.Contains("mobilellm-125m"));

    [Test]
    public void SameSeedSameBytesOtherSeedOtherBytes()
    {
        var c = RandomLlama.Shape(dim: 64, hidden: 128, layers: 2, heads: 4, kvHeads: 2) with { VocabSize = 300 };
        string a = TestModels.TempFile("a.gguf"), b = TestModels.TempFile("b.gguf"), d = TestModels.TempFile("d.gguf");
        SyntheticModel.Write(c, GgmlType.Q8_0, 7, a);
        SyntheticModel.Write(c, GgmlType.Q8_0, 7, b);
        SyntheticModel.Write(c, GgmlType.Q8_0, 8, d);
        Assert.That(File.ReadAllBytes(b), Is.EqualTo(File.ReadAllBytes(a)));
        Assert.That(File.ReadAllBytes(d), Is.Not.EqualTo(File.ReadAllBytes(a)));
    }

    [Test]
    public void WeightsHaveTheRequestedDistribution()
    {
        var v = new float[200_000];
        SyntheticModel.FillNormal(v, 3, SyntheticModel.WeightStd);
        double mean = v.Average(), std = Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
        Assert.That(mean, Is.EqualTo(0).Within(2e-4));
        Assert.That(std, Is.EqualTo(0.02).Within(2e-4));
    }

    /// <summary>The full 125M shape in Q8_0 and Q4_0: our engine generates, llama.cpp loads it and agrees.</summary>
    [TestCase(GgmlType.Q8_0)]
    [TestCase(GgmlType.Q4_0)]
    public async Task FullSize125MGeneratesAndLoadsInLlamaCpp(GgmlType type)
    {
        string path = TestModels.TempFile($"125m-{type}.gguf");
        SyntheticModel.Write(MobileLlmPresets.Get("mobilellm-125m"), type, 1, path);
        using (var f = GgufFile.Open(path))
        {
            Assert.That(f.Tensors.Sum(t => t.ElementCount), Is.EqualTo(124_635_456L));
            Assert.That(f.GetTensor("blk.0.attn_q.weight").Type, Is.EqualTo(type));
            Assert.That(f.GetTensor("token_embd.weight").Type, Is.EqualTo(GgmlType.Q8_0), "the tied classifier stays Q8_0");
        }

        using var lm = LanguageModel.Load(path, new ModelLoadOptions { Threads = 2, ContextLength = 64 });
        var events = new List<TokenEvent>();
        await foreach (var e in lm.GenerateAsync("", new GenerationOptions { MaxTokens = 8, Sampling = SamplingOptions.Greedy }))
        {
            events.Add(e);
        }

        var done = events[^1].Done!;
        Assert.That(
            done.FinishReason == FinishReason.Length ? done.CompletionTokens == 8 : done.FinishReason == FinishReason.Stop,
            Is.True,
            $"finished {done.FinishReason} after {done.CompletionTokens} tokens");

        int[] tokens = [1, 500, 1000, 20000];
        float[][] theirs = LlamaCpp.Logits(path, tokens);
        using var fresh = LanguageModel.Load(path, new ModelLoadOptions { Threads = 2, ContextLength = 64 });
        for (int pos = 0; pos < tokens.Length; pos++)
        {
            float[] ours = fresh.Transformer.Forward(tokens[pos], pos).ToArray();
            double scale = theirs[pos].Max(MathF.Abs);
            double median = ours.Zip(theirs[pos]).Select(z => Math.Abs(z.First - z.Second)).Order().ElementAt(ours.Length / 2) / scale;
            Assert.That(median, Is.LessThan(5e-3), $"position {pos}: within one activation quantization step (see EngineVsLlamaCppTests)");
        }
    }
}
