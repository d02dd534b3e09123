using System.Diagnostics;
using System.Text;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Tokenization;

public class LlamaTokenizerTests
{
    private static LlamaTokenizer Llama => LlamaVocabCases.Llama2Bin;

    [Test]
    public void ReferenceFileHasAllCases()
    {
        Assert.That(LlamaVocabCases.All, Has.Count.EqualTo(46));
        Assert.That(LlamaVocabCases.All.Select(c => c.Text), Does.Contain("").And.Contain("\n").And.Contain("\t\n"));
    }

    [TestCaseSource(typeof(LlamaVocabCases), nameof(LlamaVocabCases.Indices))]
    public void EncodesLikeLlamaCpp_FromTokenizerBin(int index)
    {
        var (text, expected) = LlamaVocabCases.All[index];
        Assert.That(Llama.Encode(text, addBos: false), Is.EqualTo(expected), LlamaVocabCases.Show(text));
    }

    [TestCaseSource(typeof(LlamaVocabCases), nameof(LlamaVocabCases.Indices))]
    public void EncodesLikeLlamaCpp_FromTokenizerModel(int index)
    {
        var (text, expected) = LlamaVocabCases.All[index];
        Assert.That(LlamaVocabCases.Llama2Model.Encode(text, addBos: false), Is.EqualTo(expected), LlamaVocabCases.Show(text));
    }

    [TestCaseSource(typeof(LlamaVocabCases), nameof(LlamaVocabCases.Indices))]
    public void DecodeAfterBosRoundTrips(int index)
    {
        var (text, expected) = LlamaVocabCases.All[index];
        Assert.That(Llama.Decode([Llama.BosId, .. expected]), Is.EqualTo(text));
        Assert.That(Llama.Decode(Llama.Encode(text, addBos: true)), Is.EqualTo(text));
    }

    [Test]
    public void TokenizerBinAndTokenizerModelAreTheSameVocabulary()
    {
        LlamaTokenizer bin = Llama, model = LlamaVocabCases.Llama2Model;
        Assert.Multiple(() =>
        {
            Assert.That(bin.VocabSize, Is.EqualTo(32000));
            Assert.That(bin.Pieces, Is.EqualTo(model.Pieces));
            Assert.That(bin.Scores, Is.EqualTo(model.Scores));
            Assert.That(bin.Types, Is.EqualTo(model.Types)); // inferred from the text vs. stored in the protobuf
            Assert.That((bin.UnknownId, bin.BosId, bin.EosId), Is.EqualTo((0, 1, 2)));
            Assert.That((model.UnknownId, model.BosId, model.EosId), Is.EqualTo((0, 1, 2)));
            Assert.That(model.AddSpacePrefix, Is.True);
        });
    }

    [Test]
    public void PiecesAreInSentencePieceForm()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Llama.Pieces[0], Is.EqualTo("<unk>"));
            Assert.That(Llama.Pieces[1], Is.EqualTo("<s>"));
            Assert.That(Llama.Pieces[2], Is.EqualTo("</s>"));
            Assert.That(Llama.Pieces[13], Is.EqualTo("<0x0A>"));
            Assert.That(Llama.Pieces[29871], Is.EqualTo("\u2581"));
            Assert.That(Llama.Pieces[15043], Is.EqualTo("\u2581Hello"));
            Assert.That(Llama.Pieces.Any(p => p.Contains(' ')), Is.False);
            Assert.That(Llama.Types[0], Is.EqualTo(TokenType.Unknown));
            Assert.That(Llama.Types[1], Is.EqualTo(TokenType.Control));
            Assert.That(Llama.Types[2], Is.EqualTo(TokenType.Control));
            Assert.That(Llama.Types.Skip(3).Take(256), Is.All.EqualTo(TokenType.Byte));
            Assert.That(Llama.Types.Skip(259), Is.All.EqualTo(TokenType.Normal));
            Assert.That(Llama.TryGetId("\u2581Hello", out int hello) && hello == 15043, Is.True);
        });
    }

    [Test]
    public void BosIsPrependedOnRequest()
    {
        Assert.That(Llama.Encode("Hello world", addBos: true), Is.EqualTo(new[] { 1, 15043, 3186 }));
        Assert.That(Llama.Encode("Hello world", addBos: false), Is.EqualTo(new[] { 15043, 3186 }));
    }

    [Test]
    public void EmptyStringIsNothingOrJustBos()
    {
        Assert.That(Llama.Encode("", addBos: false), Is.Empty);
        Assert.That(Llama.Encode("", addBos: true), Is.EqualTo(new[] { 1 }));
        Assert.That(Llama.Decode([]), Is.EqualTo(""));
        Assert.That(Llama.Decode([1]), Is.EqualTo(""));
    }

    [TestCase(" ", new[] { 259 })]
    [TestCase("  ", new[] { 1678 })]
    [TestCase("   ", new[] { 268 })]
    [TestCase("        ", new[] { 3986 })] // nine ▁ are one piece
    public void OnlySpaces(string text, int[] expected)
    {
        Assert.That(Llama.Encode(text, addBos: false), Is.EqualTo(expected));
        Assert.That(Llama.Decode(Llama.Encode(text, addBos: true)), Is.EqualTo(text));
    }

    [Test]
    public void ControlTokensDecodeToNothing()
    {
        Assert.That(Llama.Decode([1, 15043, 3186, 2]), Is.EqualTo("Hello world"));
        Assert.That(Llama.Decode([15043, 2, 1, 15043]), Is.EqualTo(" HelloHello"));
        Assert.That(Llama.TokenBytes(1), Is.Empty);
        Assert.That(Llama.TokenBytes(2), Is.Empty);
        Assert.That(Llama.TokenBytes(0), Is.Empty);
    }

    [Test]
    public void LeadingSpaceIsDroppedOnlyAfterBos()
    {
        Assert.That(Llama.Decode([15043, 3186]), Is.EqualTo(" Hello world"), "a continuation keeps its space");
        Assert.That(Llama.Decode([1, 15043, 3186]), Is.EqualTo("Hello world"));
        Assert.That(Llama.Decode([1, 29871, 15043]), Is.EqualTo(" Hello"), "only one space goes");
    }

    [Test]
    public void TokenBytesSpellSpacesAndBytes()
    {
        Assert.That(Llama.TokenBytes(29871), Is.EqualTo(" "u8.ToArray()));
        Assert.That(Llama.TokenBytes(15043), Is.EqualTo(" Hello"u8.ToArray()));
        Assert.That(Llama.TokenBytes(13), Is.EqualTo(new byte[] { 0x0A }));
        Assert.That(Llama.TokenBytes(3 + 0xF0), Is.EqualTo(new byte[] { 0xF0 }));
        Assert.That(() => Llama.TokenBytes(32000), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Llama.TokenBytes(-1), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void SpecialTokenTextIsNotParsed()
    {
        int[] ids = Llama.Encode("<s></s><unk><0x0A>", addBos: false);
        Assert.That(ids, Has.None.EqualTo(0).And.None.EqualTo(1).And.None.EqualTo(2).And.None.EqualTo(13));
        Assert.That(Llama.Decode([1, .. ids]), Is.EqualTo("<s></s><unk><0x0A>"));
    }

    [Test]
    public void LoneSurrogateFallsBackToReplacementBytes()
    {
        int[] ids = Llama.Encode("a\uD800b", addBos: false);
        Assert.That(Llama.Decode([1, .. ids]), Is.EqualTo("a\uFFFDb"));
    }

    [Test]
    public void Tok512LoadsAndRoundTrips()
    {
        var tok = LlamaTokenizer.FromLlama2cFile(SharedData.PathOf("models", "stories260K", "tok512.bin"), expectedVocabSize: 512);
        Assert.That(tok.VocabSize, Is.EqualTo(512));
        Assert.That((tok.UnknownId, tok.BosId, tok.EosId), Is.EqualTo((0, 1, 2)));
        int[] ids = tok.Encode("Once upon a time", addBos: true);
        Assert.That(ids[0], Is.EqualTo(1));
        Assert.That(ids, Has.Length.LessThan(17), "merges happened");
        Assert.That(tok.Decode(ids), Is.EqualTo("Once upon a time"));

        // Characters the small vocabulary lacks go through byte tokens and come back.
        const string odd = "Ünïcødé 🦙 and 漢字";
        Assert.That(tok.Decode(tok.Encode(odd, addBos: true)), Is.EqualTo(odd));
    }

    [Test]
    public void ConstructorInfersTypesAndBuildsFromArrays()
    {
        string[] pieces = ["<unk>", "<s>", "</s>", "<0x61>", "<0x62>", "\u2581", "a", "b", "\u2581a", "ab", "\u2581ab"];
        float[] scores = [0, 0, 0, 0, 0, -1, -2, -3, -4, -5, -6];
        var tok = new LlamaTokenizer(pieces, scores);
        Assert.That(tok.Types, Is.EqualTo(new[]
        {
            TokenType.Unknown, TokenType.Control, TokenType.Control, TokenType.Byte, TokenType.Byte,
            TokenType.Normal, TokenType.Normal, TokenType.Normal, TokenType.Normal, TokenType.Normal, TokenType.Normal,
        }));

        // "▁a" (-4) beats "ab" (-5); then "▁a"+"b" = "▁ab".
        Assert.That(tok.Encode("ab", addBos: true), Is.EqualTo(new[] { 1, 10 }));
        Assert.That(tok.Encode("ba", addBos: false), Is.EqualTo(new[] { 5, 7, 6 }));

        // 'c' is no piece and there is no <0x63>: the unknown token.
        Assert.That(tok.Encode("c", addBos: false), Is.EqualTo(new[] { 5, 0 }));

        var noPrefix = new LlamaTokenizer(pieces, scores, addSpacePrefix: false);
        Assert.That(noPrefix.Encode("ab", addBos: false), Is.EqualTo(new[] { 9 }));
        Assert.That(noPrefix.Decode([1, 10]), Is.EqualTo(" ab"), "nothing dropped without a dummy prefix");
    }

    [Test]
    public void EqualScoresMergeLeftmostFirst()
    {
        // All pair pieces score the same: llama.cpp merges the leftmost pair first.
        string[] pieces = ["<unk>", "<s>", "</s>", "\u2581", "x", "xx", "xxx", "\u2581x"];
        float[] scores = [0, 0, 0, -1, -1, -5, -5, -9];
        var tok = new LlamaTokenizer(pieces, scores);
        Assert.That(tok.Encode("xxx", addBos: false), Is.EqualTo(new[] { 3, 6 }), "▁ + xxx, built as (xx)x");
        // ▁ x x x x: "xx" at 1 first, then "xxx" at 1 (left 1 beats the equal "xx" at 3), leaving x alone.
        Assert.That(tok.Encode("xxxx", addBos: false), Is.EqualTo(new[] { 3, 6, 4 }));
    }

    [Test]
    public void ConstructorRejectsInconsistentArguments()
    {
        string[] pieces = ["<unk>", "<s>", "</s>"];
        Assert.That(() => new LlamaTokenizer(pieces, [0f, 0f]), Throws.ArgumentException);
        Assert.That(() => new LlamaTokenizer(pieces, [0f, 0f, 0f], [TokenType.Normal]), Throws.ArgumentException);
        Assert.That(() => new LlamaTokenizer(pieces, [0f, 0f, 0f], bosId: 3), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new LlamaTokenizer([], []), Throws.ArgumentException);
        Assert.That(() => new LlamaTokenizer(["<unk>", "<s>", "</s>", "<0xZZ>"], [0f, 0f, 0f, 0f],
            [TokenType.Unknown, TokenType.Control, TokenType.Control, TokenType.Byte]), Throws.ArgumentException);
    }

    [Test]
    public void EncodingIsFastOnLongText()
    {
        var text = new StringBuilder();
        foreach (var (input, _) in LlamaVocabCases.All)
        {
            text.Append(input).Append(' ');
        }

        string big = string.Concat(Enumerable.Repeat(text.ToString(), 100)) + new string('3', 20000);
        Llama.Encode("warm up", addBos: true);
        var watch = Stopwatch.StartNew();
        int[] ids = Llama.Encode(big, addBos: true);
        watch.Stop();
        Assert.That(Llama.Decode(ids), Is.EqualTo(big));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), $"{big.Length} chars took {watch.Elapsed}");
    }
}
