using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Tokenization;

/// <summary>The tokenizer built from GGUF tokenizer.ggml.* metadata (what models and `edgellm tokenize` use).</summary>
public class GgufVocabularyTests
{
    private static readonly Lazy<LlamaTokenizer> FromGguf = new(() =>
    {
        using var f = GgufFile.Open(SharedData.PathOf("tokenizers", "llama2", "ggml-vocab-llama-spm.gguf"));
        return GgufVocabulary.Load(f);
    });

    [TestCaseSource(typeof(LlamaVocabCases), nameof(LlamaVocabCases.Indices))]
    public void EncodesLikeLlamaCpp_FromGgufMetadata(int index)
    {
        var (text, ids) = LlamaVocabCases.All[index];
        Assert.That(FromGguf.Value.Encode(text, addBos: false), Is.EqualTo(ids), LlamaVocabCases.Show(text));
    }

    [Test]
    public void WrittenVocabularyReadsBackIdentically()
    {
        var tok = FromGguf.Value;
        var w = new GgufWriter();
        GgufVocabulary.Write(w, tok);
        string path = TestModels.TempFile("vocab.gguf");
        w.WriteTo(path);
        using var f = GgufFile.Open(path);
        var back = GgufVocabulary.Load(f);
        Assert.Multiple(() =>
        {
            Assert.That(back.Pieces, Is.EqualTo(tok.Pieces));
            Assert.That(back.Scores, Is.EqualTo(tok.Scores));
            Assert.That(back.Types, Is.EqualTo(tok.Types));
            Assert.That((back.BosId, back.EosId, back.UnknownId), Is.EqualTo((tok.BosId, tok.EosId, tok.UnknownId)));
        });
    }

    [Test]
    public void MismatchedArraysAreAFormatError()
    {
        var w = new GgufWriter();
        w.AddString("tokenizer.ggml.model", "llama");
        w.AddStringArray("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>"]);
        w.AddFloat32Array("tokenizer.ggml.scores", [0f, 0f]);
        string path = TestModels.TempFile("bad-vocab.gguf");
        w.WriteTo(path);
        using var f = GgufFile.Open(path);
        Assert.That(() => GgufVocabulary.Load(f), Throws.InstanceOf<GgufFormatException>().With.Message.Contains("disagree"));
    }

    [Test]
    public void OtherTokenizerModelsAreRefused()
    {
        var w = new GgufWriter();
        w.AddString("tokenizer.ggml.model", "gpt2");
        w.AddStringArray("tokenizer.ggml.tokens", ["a"]);
        string path = TestModels.TempFile("gpt2-vocab.gguf");
        w.WriteTo(path);
        using var f = GgufFile.Open(path);
        Assert.That(() => GgufVocabulary.Load(f), Throws.InstanceOf<GgufFormatException>().With.Message.Contains("gpt2"));
    }
}
