using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Tests.Gguf;

/// <summary>A real file written by llama.cpp's converter: the Llama 2 SentencePiece vocabulary without weights.</summary>
public sealed class GgufVocabFileTests
{
    private GgufFile _file = null!;

    [OneTimeSetUp]
    public void Open() => _file = GgufFile.Open(SharedData.PathOf("tokenizers", "llama2", "ggml-vocab-llama-spm.gguf"));

    [OneTimeTearDown]
    public void Close() => _file.Dispose();

    [Test]
    public void HeaderAndMetadata()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_file.Version, Is.EqualTo(3));
            Assert.That(_file.Alignment, Is.EqualTo(32));
            Assert.That(_file.Tensors, Is.Empty);
            Assert.That(_file.GetString("general.architecture"), Is.EqualTo("llama"));
            Assert.That(_file.GetString("tokenizer.ggml.model"), Is.EqualTo("llama"));
            Assert.That(_file.GetInt64("llama.block_count"), Is.EqualTo(32));
            Assert.That(_file.GetInt64("llama.embedding_length"), Is.EqualTo(4096));
            Assert.That(_file.TryGetInt64("tokenizer.ggml.bos_token_id"), Is.EqualTo(1));
            Assert.That(_file.TryGetInt64("tokenizer.ggml.eos_token_id"), Is.EqualTo(2));
            Assert.That(_file.TryGetString("no.such.key"), Is.Null);
        });
    }

    /// <summary>
    /// Parsing allocates about what it keeps (32 000 token strings, their scores and types: under 2 MB): no description
    /// string or box per array element, which made 25 MB of garbage per model load that then stayed committed.
    /// </summary>
    [Test]
    public void OpeningAllocatesLittleMoreThanItKeeps()
    {
        string path = SharedData.PathOf("tokenizers", "llama2", "ggml-vocab-llama-spm.gguf");
        using (GgufFile.Open(path))
        {
            // first open: JIT and static initialisation, not what is measured
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        using var file = GgufFile.Open(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Out.WriteLine($"GgufFile.Open allocated {allocated / 1024} KB");
        Assert.That(allocated, Is.LessThan(3 << 20));
    }

    [Test]
    public void Vocabulary()
    {
        string[] tokens = _file.Metadata["tokenizer.ggml.tokens"].AsStringArray();
        float[] scores = _file.Metadata["tokenizer.ggml.scores"].AsFloatArray();
        int[] types = _file.Metadata["tokenizer.ggml.token_type"].AsInt32Array();

        // Expected values decoded separately from the SentencePiece tokenizer.model this vocabulary came from.
        Assert.Multiple(() =>
        {
            Assert.That(tokens, Has.Length.EqualTo(32000));
            Assert.That(scores, Has.Length.EqualTo(32000));
            Assert.That(types, Has.Length.EqualTo(32000));
            Assert.That(tokens[0], Is.EqualTo("<unk>"));
            Assert.That(tokens[1], Is.EqualTo("<s>"));
            Assert.That(tokens[3], Is.EqualTo("<0x00>"));
            Assert.That(tokens[29871], Is.EqualTo("▁"));
            Assert.That(tokens[31999], Is.EqualTo("给"));
            Assert.That(scores[29889], Is.EqualTo(-29630f));   // "."
            Assert.That(scores[31999], Is.EqualTo(-31740f));
            Assert.That(types[0], Is.EqualTo(2));   // unknown
            Assert.That(types[1], Is.EqualTo(3));   // control
            Assert.That(types[3], Is.EqualTo(6));   // byte
            Assert.That(types[29871], Is.EqualTo(1));   // normal
        });
    }
}
