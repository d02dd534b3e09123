using System.Text;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Tokenization;

public class Utf8TokenDecoderTests
{
    private static LlamaTokenizer Llama => LlamaVocabCases.Llama2Bin;

    /// <summary>Feeds ids one at a time; checks no chunk holds half a character; returns the chunks.</summary>
    private static List<string> Stream(IEnumerable<int> ids, int? previous = null)
    {
        var decoder = Llama.CreateDecoder(previous);
        var chunks = new List<string>();
        foreach (int id in ids)
        {
            chunks.Add(decoder.Append(id));
        }

        chunks.Add(decoder.Flush());
        foreach (string chunk in chunks)
        {
            Assert.That(HasLoneSurrogate(chunk), Is.False, $"chunk {LlamaVocabCases.Show(chunk)} splits a surrogate pair");
        }

        return chunks;
    }

    private static bool HasLoneSurrogate(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1])))
            {
                return true;
            }

            if (char.IsLowSurrogate(s[i]) && (i == 0 || !char.IsHighSurrogate(s[i - 1])))
            {
                return true;
            }

            if (char.IsHighSurrogate(s[i]))
            {
                i++;
            }
        }

        return false;
    }

    [Test]
    public void EmojiSpelledInByteTokensComesOutWhole()
    {
        int[] ids = Llama.Encode("🦙", addBos: true); // BOS, ▁, then four byte tokens
        Assert.That(ids, Is.EqualTo(new[] { 1, 29871, 243, 162, 169, 156 }));
        List<string> chunks = Stream(ids);
        Assert.That(chunks, Is.EqualTo(new[] { "", "", "", "", "", "🦙", "" }));
    }

    [Test]
    public void CjkAndKhmerThroughByteTokensStreamWhole()
    {
        foreach (string text in new[] { "我想在apple工作1314151天～", "កាន់តែពិសេសអាចខលចេញ", "🚀 (normal) 😶‍🌫️ ✅" })
        {
            int[] ids = Llama.Encode(text, addBos: true);
            List<string> chunks = Stream(ids);
            Assert.That(string.Concat(chunks), Is.EqualTo(text));
            Assert.That(string.Concat(chunks), Is.EqualTo(Llama.Decode(ids)));
            foreach (string chunk in chunks.Where(c => c.Length > 0))
            {
                // Each chunk is well-formed on its own: UTF-8 round trip is lossless.
                Assert.That(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(chunk)), Is.EqualTo(chunk));
            }
        }
    }

    [TestCaseSource(typeof(LlamaVocabCases), nameof(LlamaVocabCases.Indices))]
    public void StreamingEqualsDecodeOnEveryReferenceCase(int index)
    {
        int[] ids = LlamaVocabCases.All[index].Ids;
        Assert.That(string.Concat(Stream(ids)), Is.EqualTo(Llama.Decode(ids)));
        Assert.That(string.Concat(Stream([Llama.BosId, .. ids])), Is.EqualTo(LlamaVocabCases.All[index].Text));
    }

    [Test]
    public void GenerationFromBosHasNoLeadingSpace()
    {
        int[] story = Llama.Encode("Once upon a time", addBos: false);
        Assert.That(string.Concat(Stream(story, previous: Llama.BosId)), Is.EqualTo("Once upon a time"));
        Assert.That(string.Concat(Stream(story, previous: 3186)), Is.EqualTo(" Once upon a time"), "continuation keeps the space");
        Assert.That(string.Concat(Stream([.. story, Llama.BosId, .. story])), Is.EqualTo(" Once upon a timeOnce upon a time"));
    }

    [Test]
    public void InvalidBytesBecomeReplacementCharacters()
    {
        // <0xF0><0x9F> then a newline: the broken sequence is replaced as soon as it is known to be broken.
        int f0 = 3 + 0xF0, x9f = 3 + 0x9F, lf = 13;
        var decoder = Llama.CreateDecoder();
        Assert.That(decoder.Append(f0), Is.EqualTo(""));
        Assert.That(decoder.Append(x9f), Is.EqualTo(""));
        Assert.That(decoder.Append(lf), Is.EqualTo("\uFFFD\n"));
        Assert.That(decoder.Flush(), Is.EqualTo(""));
        Assert.That(Llama.Decode([f0, x9f, lf]), Is.EqualTo("\uFFFD\n"));

        // A held incomplete sequence comes out at Flush.
        Assert.That(decoder.Append(f0), Is.EqualTo(""));
        Assert.That(decoder.Flush(), Is.EqualTo("\uFFFD"));
        Assert.That(decoder.Append(15043), Is.EqualTo(" Hello"), "the decoder starts afresh after Flush");

        // A stray continuation byte.
        Assert.That(string.Concat(Stream([x9f, 15043])), Is.EqualTo("\uFFFD Hello"));
    }

    [Test]
    public void ControlTokensStreamAsNothing()
    {
        var decoder = Llama.CreateDecoder();
        Assert.That(decoder.Append(1), Is.EqualTo(""));
        Assert.That(decoder.Append(15043), Is.EqualTo("Hello"));
        Assert.That(decoder.Append(2), Is.EqualTo(""));
        Assert.That(decoder.PreviousToken, Is.EqualTo(2));
    }

    [Test]
    public void OutOfRangeIdsThrow()
    {
        Assert.That(() => Llama.CreateDecoder(32000), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Llama.CreateDecoder().Append(-1), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
