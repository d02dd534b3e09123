using System.Text;
using System.Text.Json;
using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Gguf;
using EdgeLlm.Kernels.Grammar;
using EdgeLlm.Kernels.Sampling;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Grammar;

/// <summary>Constrained generation on the real demo model, and the per-token path's allocations.</summary>
public class ConstrainedGenerationTests
{
    private const string Schema = """
        {"type":"object","properties":{
          "name":{"type":"string","minLength":1,"maxLength":12},
          "age":{"type":"integer","minimum":1,"maximum":120},
          "pet":{"enum":["cat","dog","bird"]},
          "friends":{"type":"array","items":{"type":"string","maxLength":8},"maxItems":3}},
         "required":["name","age","pet"],"additionalProperties":false}
        """;

    private static async Task<(string Text, GenerationStats Done)> Run(LanguageModel lm, string prompt, GenerationOptions o)
    {
        var sb = new StringBuilder();
        GenerationStats? done = null;
        await foreach (var e in lm.GenerateAsync(prompt, o))
        {
            sb.Append(e.Text);
            done = e.Done ?? done;
        }

        return (sb.ToString(), done!);
    }

    [TestCase("", 0f, 0UL)]
    [TestCase("Once upon a time, Lily", 0f, 0UL)]
    [TestCase("The little dog", 0.9f, 3UL)]
    [TestCase("", 1.2f, 4UL)]
    public async Task TheDemoModelWritesValidJsonUnderASchema(string prompt, float temperature, ulong seed)
    {
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1 });
        var grammar = CompiledGrammar.FromJsonSchema(Schema);
        var sampling = temperature == 0 ? SamplingOptions.Greedy : new SamplingOptions { Temperature = temperature, Seed = seed, RepetitionPenalty = 1.1f };
        var (text, done) = await Run(lm, prompt, new GenerationOptions { MaxTokens = 300, Sampling = sampling, Grammar = grammar });

        Assert.That(done.FinishReason, Is.EqualTo(FinishReason.Stop), text);
        Assert.That(done.GrammarComplete, Is.True);
        using var doc = JsonDocument.Parse(text);
        using var schema = JsonDocument.Parse(Schema);
        Assert.That(SchemaValidator.Validate(doc.RootElement, schema.RootElement), Is.Null, text);
        TestContext.Out.WriteLine(text);
    }

    [Test]
    public async Task ABudgetThatCutsTheGrammarSaysLengthAndIncomplete()
    {
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1 });
        var (text, done) = await Run(lm, "Lily", new GenerationOptions { MaxTokens = 5, Sampling = SamplingOptions.Greedy, Grammar = CompiledGrammar.FromJsonSchema(Schema) });
        Assert.That(done.FinishReason, Is.EqualTo(FinishReason.Length));
        Assert.That(done.GrammarComplete, Is.False);
        Assert.That(text, Does.StartWith("{"));

        var (plain, plainDone) = await Run(lm, "Lily", new GenerationOptions { MaxTokens = 5, Sampling = SamplingOptions.Greedy });
        Assert.That(plainDone.GrammarComplete, Is.Null, "no grammar, nothing to say");
        Assert.That(plain, Does.Not.StartWith("{"), "the grammar, not the model, made the brace");
    }

    [Test]
    public async Task AGbnfGrammarHoldsOnTheOutputTextFromBos()
    {
        // From BOS the detokenizer drops the first token's leading space: the grammar must see the same text.
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1 });
        var g = CompiledGrammar.FromGbnf("root ::= \"Once\" (\" \" [a-z]+){2,6} \".\"");
        for (ulong seed = 1; seed <= 4; seed++)
        {
            var (text, done) = await Run(lm, "", new GenerationOptions { MaxTokens = 120, Sampling = new SamplingOptions { Temperature = 1f, Seed = seed }, Grammar = g });
            Assert.That(done.FinishReason, Is.EqualTo(FinishReason.Stop), text);
            Assert.That(new GrammarState(g).Matches(Encoding.UTF8.GetBytes(text)), Is.True, text);
        }
    }

    [Test]
    public void AGrammarTheVocabularyCannotSpellIsADeadEnd()
    {
        var vocab = TokenVocabulary.FromBytes([[], "a"u8.ToArray(), "ab"u8.ToArray(), "b"u8.ToArray()], eosId: 0);
        var matcher = new TokenGrammar(CompiledGrammar.FromGbnf("root ::= \"a\" \"z\""), vocab).CreateMatcher();
        var mask = new ulong[vocab.MaskLength];
        Assert.That(matcher.FillMask(mask), Is.True);
        Assert.That(mask[0], Is.EqualTo(0b0010UL), "only \"a\"");
        matcher.Accept(1);
        Assert.That(matcher.FillMask(mask), Is.False);
        Assert.That(matcher.CanEnd, Is.False, "a dead end: nothing allowed and the grammar cannot end");
        Assert.Throws<InvalidOperationException>(() => matcher.Accept(3));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void MaskSampleAcceptStepsDoNotAllocate(bool llamaVocab)
    {
        var tok = llamaVocab
            ? LlamaTokenizer.FromSentencePieceModel(SharedData.PathOf("tokenizers", "llama2", "tokenizer.model"))
            : LlamaTokenizer.FromLlama2cFile(TestModels.TokenizerPath);
        var vocab = TokenVocabulary.FromTokenizer(tok);
        var matcher = new TokenGrammar(CompiledGrammar.FromJsonSchema(Schema), vocab).CreateMatcher();
        var sampler = new Sampler(vocab.Size, new SamplingOptions { Temperature = 0.9f, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.1f, Seed = 5 });
        var rng = new Random(3);
        float[][] logits = Enumerable.Range(0, 64).Select(_ => Enumerable.Range(0, vocab.Size).Select(_ => (float)rng.NextDouble() * 4).ToArray()).ToArray();
        var mask = new ulong[vocab.MaskLength];
        int[] history = new int[256];

        int Generate()
        {
            matcher.Reset();
            int n = 0;
            while (n < 200 && matcher.FillMask(mask))
            {
                int t = sampler.Sample(logits[n % logits.Length], history.AsSpan(0, n), mask);
                if (t == vocab.EosId)
                {
                    break;
                }

                matcher.Accept(t);
                history[n++] = t;
            }

            return n;
        }

        // Same seed, same logits: the second and third runs visit exactly the states the first one cached.
        var again = new Sampler(vocab.Size, new SamplingOptions { Temperature = 0.9f, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.1f, Seed = 5 });
        int first = Generate();
        sampler = again;
        Generate();
        sampler = new Sampler(vocab.Size, new SamplingOptions { Temperature = 0.9f, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.1f, Seed = 5 });
        long before = GC.GetAllocatedBytesForCurrentThread();
        int steps = Generate();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(steps, Is.EqualTo(first).And.GreaterThan(10));
        Assert.That(allocated, Is.Zero, $"{allocated} bytes over {steps} constrained steps");
    }
}
