using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Tokenization;

public class TokenizerFileTests
{
    private string _dir = "";

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("edgellm-tok-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Llama2Bin() => File.ReadAllBytes(SharedData.PathOf("tokenizers", "llama2", "tokenizer.bin"));

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(9)]
    [TestCase(5000)]
    public void TruncatedLlama2cFileIsReportedWithItsName(int cut)
    {
        byte[] data = Llama2Bin();
        string path = Write("cut.bin", data[..^cut]);
        var e = Assert.Throws<InvalidDataException>(() => LlamaTokenizer.FromLlama2cFile(path));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("truncated"));
    }

    [Test]
    public void FileCutBetweenRecordsIsCaughtByTheExpectedSize()
    {
        // The last token of tok512.bin is "\u200a" (3 bytes): score, length, text = 11 bytes.
        byte[] data = File.ReadAllBytes(SharedData.PathOf("models", "stories260K", "tok512.bin"));
        string path = Write("short.bin", data[..^11]);
        Assert.That(LlamaTokenizer.FromLlama2cFile(path).VocabSize, Is.EqualTo(511));
        var e = Assert.Throws<InvalidDataException>(() => LlamaTokenizer.FromLlama2cFile(path, expectedVocabSize: 512));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("511"));
    }

    [Test]
    public void EmptyOrHeaderOnlyFilesAreRejected()
    {
        Assert.That(() => LlamaTokenizer.FromLlama2cFile(Write("empty.bin", [])),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("empty.bin"));
        Assert.That(() => LlamaTokenizer.FromLlama2cFile(Write("header.bin", [27, 0, 0, 0])),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("no tokens"));
    }

    [Test]
    public void GarbageLengthIsRejected()
    {
        byte[] data = Llama2Bin();
        data[8] = 0xFF; // length of token 0 becomes huge
        string path = Write("garbage.bin", data);
        Assert.That(() => LlamaTokenizer.FromLlama2cFile(path),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains(path).And.Message.Contains("length"));
    }

    [Test]
    public void MissingFileThrowsFileNotFound()
    {
        Assert.That(() => LlamaTokenizer.FromLlama2cFile(Path.Combine(_dir, "nope.bin")), Throws.TypeOf<FileNotFoundException>());
    }

    [Test]
    public void CorruptSentencePieceModelIsReportedWithItsName()
    {
        byte[] data = File.ReadAllBytes(SharedData.PathOf("tokenizers", "llama2", "tokenizer.model"));
        string path = Write("cut.model", data[..(data.Length / 2)]);
        Assert.That(() => LlamaTokenizer.FromSentencePieceModel(path),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains(path));

        string notBpe = Write("unigram.model", [0x0A, 0x07, 0x0A, 0x05, (byte)'<', (byte)'u', (byte)'n', (byte)'k', (byte)'>']);
        Assert.That(() => LlamaTokenizer.FromSentencePieceModel(notBpe),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("not BPE"));
    }
}
