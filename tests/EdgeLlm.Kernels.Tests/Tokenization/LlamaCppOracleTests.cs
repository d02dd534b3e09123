using System.Text;
using EdgeLlm.Kernels.Tokenization;
using LLama;
using LLama.Common;
using LLama.Native;

namespace EdgeLlm.Kernels.Tests.Tokenization;

/// <summary>llama.cpp itself (through LLamaSharp, on the vocab-only GGUF) as the oracle beyond the 46 fixed cases.</summary>
[Category("LlamaCpp")]
public class LlamaCppOracleTests
{
    private static readonly Lazy<LLamaWeights> Weights = new(() => LLamaWeights.LoadFromFile(
        new ModelParams(SharedData.PathOf("tokenizers", "llama2", "ggml-vocab-llama-spm.gguf")) { VocabOnly = true }));

    private static LlamaTokenizer Llama => LlamaVocabCases.Llama2Bin;

    // Pieces of text chosen to hit merges, runs of spaces, byte fallback and multi-unit characters.
    private static readonly string[] Atoms =
    [
        "a", "e", "t", "h", "the", "The", "ing", "Hello", "world", "3", "33", "0", "!", "?", ".", ",", "'", "\"", "-", "=",
        "(", ")", "<s>", "</s>", "<unk>", "<0x0A>", " ", " ", " ", "  ", "\n", "\n\n", "\t", "\r", "é", "ß", "Ü", "ñ",
        "не", "щ", "我", "想", "天", "～", "ក", "ា", "ន", "់", "🦙", "🚀", "😶‍🌫️", "✅", "\u200d", "\u00a0", "\u2581", "🀄", "𝄞",
    ];

    [Test]
    public void RandomTextEncodesLikeLlamaCpp()
    {
        var random = new Random(20240611);
        int checkedCount = 0;
        for (int n = 0; n < 3000; n++)
        {
            var text = new StringBuilder();
            int atoms = random.Next(0, 16);
            for (int i = 0; i < atoms; i++)
            {
                text.Append(Atoms[random.Next(Atoms.Length)]);
            }

            string s = text.ToString();
            int[] expected = [.. Weights.Value.Tokenize(s, add_bos: false, special: false, Encoding.UTF8).Select(t => (int)t)];
            Assert.That(Llama.Encode(s, addBos: false), Is.EqualTo(expected), LlamaVocabCases.Show(s));
            checkedCount++;
        }

        Assert.That(checkedCount, Is.EqualTo(3000));
    }

    [Test]
    public void EveryTokenHasLlamaCppBytes()
    {
        SafeLlamaModelHandle model = Weights.Value.NativeHandle;
        Span<byte> buffer = stackalloc byte[64];
        for (int id = 0; id < Llama.VocabSize; id++)
        {
            int n = (int)model.TokenToSpan((LLamaToken)id, buffer, lstrip: 0, special: false);
            Assert.That(n, Is.InRange(0, buffer.Length));
            Assert.That(Llama.TokenBytes(id), Is.EqualTo(buffer[..n].ToArray()), $"token {id} {Llama.Pieces[id]}");
        }
    }
}
