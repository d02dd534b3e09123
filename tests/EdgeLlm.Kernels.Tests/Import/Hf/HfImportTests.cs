using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Import.Hf;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Sampling;
using EdgeLlm.Kernels.Tests.Oracle;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Import.Hf;

/// <summary>
/// Tiny checkpoints written here in every format Hugging Face ships (torch zip + pickle, single and sharded;
/// safetensors, single and sharded; f32/f16/bf16; MobileLLM's missing lm_head and layer sharing), converted,
/// and run by our engine against the float reference of <see cref="HfReference"/> and against llama.cpp.
/// </summary>
public class HfImportTests
{
    private static readonly int[] Tokens = [1, 403, 261, 378, 290, 471, 263, 20, 511, 300, 2, 77];

    public enum Format
    {
        Torch,
        TorchSharded,
        Safetensors,
        SafetensorsSharded,
    }

    [OneTimeTearDown]
    public void DeleteTestFolders() => HfFolder.DeleteAll();

    private static string Folder(HfModel m, Format format)
    {
        string dir = HfFolder.Create(m);
        switch (format)
        {
            case Format.Torch: HfFolder.WriteTorch(dir, m); break;
            case Format.TorchSharded: HfFolder.WriteTorch(dir, m, shards: 3); break;
            case Format.Safetensors: HfFolder.WriteSafetensors(dir, m); break;
            default: HfFolder.WriteSafetensors(dir, m, shards: 2); break;
        }

        return dir;
    }

    private static string Convert(string dir, GgmlType type)
    {
        string gguf = HfFolder.NewPath($"hf-{type}.gguf");
        var log = new StringWriter();
        HfImporter.Convert(dir, gguf, type, log);
        string text = log.ToString();
        TestContext.Progress.WriteLine(text.Split('\n').FirstOrDefault());
        using var f = GgufFile.Open(gguf);
        Assert.That(text, Does.Contain($"[{f.Tensors.Count}/{f.Tensors.Count}]"), "progress names every tensor");
        Assert.That(File.Exists(gguf + ".partial"), Is.False);
        return gguf;
    }

    private static float[][] OurLogits(string path, int[] tokens)
    {
        using var lm = LanguageModel.Load(path, new ModelLoadOptions { Threads = 1 });
        return tokens.Select((t, p) => lm.Transformer.Forward(t, p).ToArray()).ToArray();
    }

    /// <summary>Worst over positions of max |ours - ref| / max |ref|.</summary>
    private static double MaxRelativeError(float[][] ours, double[][] reference) =>
        ours.Select((o, p) =>
        {
            double scale = reference[p].Max(Math.Abs);
            return o.Select((v, i) => Math.Abs(v - reference[p][i]) / scale).Max();
        }).Max();

    // Every format and dtype, with MobileLLM's quirks spread over them; F32 GGUF: float math in a different
    // order, so 1e-4 relative to the largest logit.
    [TestCase(Format.Torch, HfDType.F32, false, LmHead.Absent)]
    [TestCase(Format.Torch, HfDType.F16, true, LmHead.Absent)]
    [TestCase(Format.Torch, HfDType.BF16, false, LmHead.Distinct)]
    [TestCase(Format.Torch, HfDType.F16, false, LmHead.SameAsEmbeddings)]
    [TestCase(Format.TorchSharded, HfDType.F16, false, LmHead.Absent)]
    [TestCase(Format.Safetensors, HfDType.F16, false, LmHead.SameAsEmbeddings)]
    [TestCase(Format.Safetensors, HfDType.F32, false, LmHead.Distinct)]
    [TestCase(Format.SafetensorsSharded, HfDType.BF16, true, LmHead.Absent)]
    public void ConvertedF32LogitsMatchTheHuggingFaceReference(Format format, HfDType dtype, bool layerSharing, LmHead head)
    {
        var m = HfModel.Random(seed: 11, dtype, layerSharing, head);
        string gguf = Convert(Folder(m, format), GgmlType.F32);

        using (var f = GgufFile.Open(gguf))
        {
            Assert.That(f.TryGetTensor("output.weight", out _), Is.EqualTo(head == LmHead.Distinct), "output.weight only for a distinct lm_head");
            Assert.That(f.TryGetInt64(ModelConfig.LayerRepeatsKey), Is.EqualTo(layerSharing ? 2 : (long?)null));
            Assert.That(f.Tensors, Has.Count.EqualTo(2 + (9 * m.Layers) + (head == LmHead.Distinct ? 1 : 0)));
            Assert.That(f.GetInt64("llama.vocab_size"), Is.EqualTo(512));
        }

        double err = MaxRelativeError(OurLogits(gguf, Tokens), HfReference.Logits(m, Tokens));
        TestContext.Progress.WriteLine($"{format} {dtype} ls={layerSharing} {head}: max relative logit error {err:E2}");
        Assert.That(err, Is.LessThan(1e-4));
    }

    // Q8_0 weights and Q8_0 activations (the engine's fixed-point matvec): each matmul carries ~0.5-1% relative
    // rounding noise (random N(0, 0.1) rows, int8 steps of amax/127 per 32 values), through 2 blocks (4 passes when
    // shared) and a Q8_0 classifier. Measured: worst logit 2.9e-2 (3.3e-2 shared), median 3-5e-3 of the largest logit.
    // Bounds: worst 5e-2, median 1e-2. (The F32 cases above show the import itself is exact to 4e-7.)
    [TestCase(false)]
    [TestCase(true)]
    public void ConvertedQ8_0LogitsStayCloseToTheReference(bool layerSharing)
    {
        var m = HfModel.Random(seed: 12, HfDType.F16, layerSharing);
        string gguf = Convert(Folder(m, Format.Torch), GgmlType.Q8_0);
        using (var f = GgufFile.Open(gguf))
        {
            Assert.That(f.GetTensor("blk.0.attn_q.weight").Type, Is.EqualTo(GgmlType.Q8_0));
            Assert.That(f.GetTensor("token_embd.weight").Type, Is.EqualTo(GgmlType.Q8_0));
        }

        float[][] ours = OurLogits(gguf, Tokens);
        double[][] reference = HfReference.Logits(m, Tokens);
        double worst = MaxRelativeError(ours, reference);
        double median = ours.SelectMany((o, p) => o.Select((v, i) => Math.Abs(v - reference[p][i]) / reference[p].Max(Math.Abs))).Order().ElementAt(ours.Length * m.Vocab / 2);
        TestContext.Progress.WriteLine($"Q8_0 ls={layerSharing}: relative logit error worst {worst:E2}, median {median:E2}");
        Assert.That(worst, Is.LessThan(5e-2));
        Assert.That(median, Is.LessThan(1e-2));
    }

    [Test]
    public void AMissingRopePermutationWouldBeCaught()
    {
        // Negative control: applying llama.cpp's adjacent-pair rotation to the unpermuted HF weights (what a
        // converter without the permutation would produce) is far from what our converted GGUF computes.
        var m = HfModel.Random(seed: 11, HfDType.F32);
        float[][] ours = OurLogits(Convert(Folder(m, Format.Safetensors), GgmlType.F32), Tokens);
        Assert.That(MaxRelativeError(ours, HfReference.Logits(m, Tokens)), Is.LessThan(1e-4));
        Assert.That(MaxRelativeError(ours, HfReference.Logits(m, Tokens, adjacentPairs: true)), Is.GreaterThan(1e-2));
    }

    [TestCase(Format.Torch)]
    [TestCase(Format.Safetensors)]
    public void LlamaCppGivesTheSameLogitsAndGreedyTokens(Format format)
    {
        var m = HfModel.Random(seed: 13, HfDType.F16, head: LmHead.Distinct);
        string gguf = Convert(Folder(m, format), GgmlType.F32);

        float[][] theirs = LlamaCpp.Logits(gguf, Tokens);
        float[][] ours = OurLogits(gguf, Tokens);
        double[][] reference = HfReference.Logits(m, Tokens);
        Assert.That(MaxRelativeError(theirs, reference), Is.LessThan(1e-4), "llama.cpp vs the Hugging Face reference");
        Assert.That(MaxRelativeError(ours, theirs.Select(r => r.Select(v => (double)v).ToArray()).ToArray()), Is.LessThan(1e-4), "ours vs llama.cpp");

        int[] prompt = Tokens[..4];
        int[] greedy = LlamaCpp.Greedy(gguf, prompt, 24);
        using var lm = LanguageModel.Load(gguf, new ModelLoadOptions { Threads = 1 });
        float[] logits = [];
        for (int p = 0; p < prompt.Length; p++)
        {
            logits = lm.Transformer.Forward(prompt[p], p).ToArray();
        }

        var mine = new List<int>();
        for (int pos = prompt.Length; mine.Count < greedy.Length; pos++)
        {
            int next = Sampler.ArgMax(logits);
            mine.Add(next);
            logits = lm.Transformer.Forward(next, pos).ToArray();
        }

        Assert.That(mine, Is.EqualTo(greedy));
    }

    [Test]
    public void PermutationMapsRotateHalfPairsToAdjacentPairs()
    {
        // 2 heads of dim 4, rows of length 1: row r holds r.
        float[] w = [0, 1, 2, 3, 4, 5, 6, 7];
        Assert.That(HfImporter.PermuteForAdjacentPairRope(w, heads: 2, rowLength: 1), Is.EqualTo(new float[] { 0, 2, 1, 3, 4, 6, 5, 7 }));
    }

    [Test]
    public void TokenizerModelBecomesTheGgufVocabulary()
    {
        var m = HfModel.Random(seed: 14, HfDType.F16);
        string gguf = Convert(Folder(m, Format.Safetensors), GgmlType.F16);
        using var lm = LanguageModel.Load(gguf, new ModelLoadOptions { Threads = 1 });
        var reference = LlamaTokenizer.FromLlama2cFile(TestModels.TokenizerPath);
        Assert.That(lm.Tokenizer.Pieces, Is.EqualTo(reference.Pieces));
        Assert.That(lm.Tokenizer.Encode("Once upon a time", addBos: true), Is.EqualTo(reference.Encode("Once upon a time", addBos: true)));
        Assert.That(lm.File.GetTensor("blk.0.attn_q.weight").Type, Is.EqualTo(GgmlType.F16));
    }

    // ---- errors: each names the file and the tensor ----
    private static InvalidDataException ConvertFails(string dir)
    {
        string output = HfFolder.NewPath("fail.gguf");
        var e = Assert.Throws<InvalidDataException>(() => HfImporter.Convert(dir, output, GgmlType.F32, null))!;
        Assert.That(File.Exists(output) || File.Exists(output + ".partial"), Is.False, "nothing is left behind");
        return e;
    }

    [TestCase(Format.Torch)]
    [TestCase(Format.Safetensors)]
    public void MissingTensorIsNamed(Format format)
    {
        var m = HfModel.Random(seed: 20, HfDType.F16);
        m.Tensors.RemoveAll(t => t.Name == "model.layers.1.mlp.up_proj.weight");
        var e = ConvertFails(Folder(m, format));
        Assert.That(e.Message, Does.Contain("'model.layers.1.mlp.up_proj.weight' is missing"));
    }

    [Test]
    public void TensorMissingFromTheShardTheIndexNamesIsReported()
    {
        var m = HfModel.Random(seed: 21, HfDType.F16);
        string dir = Folder(m, Format.SafetensorsSharded);
        string index = Path.Combine(dir, "model.safetensors.index.json");
        File.WriteAllText(index, File.ReadAllText(index).Replace("\"model.norm.weight\"", "\"model.extra.weight\":\"model-00001-of-00002.safetensors\",\"model.norm.weight\""));
        var e = ConvertFails(dir);
        Assert.That(e.Message, Does.Contain("model-00001-of-00002.safetensors").And.Contain("'model.extra.weight' is missing"));
    }

    [TestCase(Format.Torch)]
    [TestCase(Format.Safetensors)]
    public void ShapeDisagreeingWithConfigIsNamed(Format format)
    {
        var m = HfModel.Random(seed: 22, HfDType.F16);
        int i = m.Tensors.FindIndex(t => t.Name == "model.layers.0.mlp.gate_proj.weight");
        m.Tensors[i] = (m.Tensors[i].Name, [m.Ffn / 2, m.Dim * 2], m.Tensors[i].Values);
        var e = ConvertFails(Folder(m, format));
        Assert.That(e.Message, Does.Contain("'model.layers.0.mlp.gate_proj.weight' has shape [64, 128]").And.Contain("config.json implies [128, 64]"));
        Assert.That(e.Message, Does.Contain(format == Format.Torch ? "pytorch_model.bin" : "model.safetensors"));
    }

    [Test]
    public void UnsupportedTorchDtypeIsNamed()
    {
        var m = HfModel.Random(seed: 23, HfDType.F32);
        string dir = HfFolder.Create(m);
        HfFolder.WriteTorch(dir, m, editView: v => v.Name == "model.norm.weight" ? v with { StorageClass = "DoubleStorage", StorageNumel = v.StorageNumel / 2 } : v);
        var e = ConvertFails(dir);
        Assert.That(e.Message, Does.Contain("pytorch_model.bin").And.Contain("'model.norm.weight'").And.Contain("unsupported dtype (torch.DoubleStorage"));
    }

    [Test]
    public void UnsupportedSafetensorsDtypeIsNamed()
    {
        var m = HfModel.Random(seed: 24, HfDType.F32);
        string dir = HfFolder.Create(m);
        HfFolder.WriteSafetensors(dir, m, dtypeOf: n => n == "model.layers.1.input_layernorm.weight" ? "I32" : "F32");
        var e = ConvertFails(dir);
        Assert.That(e.Message, Does.Contain("model.safetensors").And.Contain("'model.layers.1.input_layernorm.weight'").And.Contain("unsupported dtype I32"));
    }

    [Test]
    public void NonContiguousTorchTensorIsRejected()
    {
        var m = HfModel.Random(seed: 25, HfDType.F16);
        string dir = HfFolder.Create(m);
        HfFolder.WriteTorch(dir, m, editView: v => v.Name == "model.layers.0.self_attn.o_proj.weight" ? v with { Stride = [1, v.Size[0]] } : v);
        var e = ConvertFails(dir);
        Assert.That(e.Message, Does.Contain("'model.layers.0.self_attn.o_proj.weight'").And.Contain("not contiguous"));
    }

    [TestCase(0.5)]
    [TestCase(0.98)]
    public void TruncatedZipIsReported(double keep)
    {
        var m = HfModel.Random(seed: 26, HfDType.F16);
        string dir = Folder(m, Format.Torch);
        string bin = Path.Combine(dir, "pytorch_model.bin");
        HfFolder.Truncate(bin, (long)(new FileInfo(bin).Length * keep));
        var e = ConvertFails(dir);
        Assert.That(e.Message, Does.Contain(bin).And.Contain("truncated"));
    }

    [Test]
    public void TruncatedSafetensorsIsReported()
    {
        var m = HfModel.Random(seed: 27, HfDType.F16);
        string dir = Folder(m, Format.Safetensors);
        string file = Path.Combine(dir, "model.safetensors");
        HfFolder.Truncate(file, new FileInfo(file).Length - 10);
        var e = ConvertFails(dir);
        Assert.That(e.Message, Does.Contain(file).And.Contain("truncated").And.Contain("'model.norm.weight'"));

        HfFolder.Truncate(file, 100); // inside the header
        e = ConvertFails(dir);
        Assert.That(e.Message, Does.Contain(file).And.Contain("truncated"));
    }

    [TestCase("rope_scaling", "{\"type\":\"linear\",\"factor\":2.0}", "rope_scaling")]
    [TestCase("attention_bias", "true", "biases are not supported")]
    [TestCase("hidden_act", "\"gelu\"", "hidden_act 'gelu' is not supported")]
    [TestCase("model_type", "\"gpt2\"", "model_type 'gpt2' is not supported")]
    [TestCase("num_key_value_heads", "3", "do not divide evenly")]
    public void UnsupportedConfigIsRejected(string key, string json, string message)
    {
        var m = HfModel.Random(seed: 28, HfDType.F16);
        string dir = HfFolder.Create(m, c => c[key] = System.Text.Json.JsonDocument.Parse(json).RootElement.Clone());
        HfFolder.WriteSafetensors(dir, m);
        var e = ConvertFails(dir);
        Assert.That(e.Message, Does.Contain("config.json").And.Contain(message));
    }

    [Test]
    public void BiasTensorIsRejected()
    {
        var m = HfModel.Random(seed: 29, HfDType.F16);
        m.Tensors.Add(("model.layers.0.self_attn.q_proj.bias", [m.Dim], new float[m.Dim]));
        var e = ConvertFails(Folder(m, Format.Safetensors));
        Assert.That(e.Message, Does.Contain("'model.layers.0.self_attn.q_proj.bias'").And.Contain("biases are not supported"));
    }
}
