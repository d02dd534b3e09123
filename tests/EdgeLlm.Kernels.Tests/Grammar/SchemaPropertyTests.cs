using System.Text;
using System.Text.Json;
using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Grammar;
using EdgeLlm.Kernels.Sampling;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Grammar;

/// <summary>
/// Without any model: random schemas, random logits and every sampler setting; every output the grammar completes
/// must parse (System.Text.Json) and validate against its schema (<see cref="SchemaValidator"/>, independent code).
/// </summary>
public class SchemaPropertyTests
{
    private static readonly Lazy<TokenVocabulary> Small = new(() => TokenVocabulary.FromTokenizer(LlamaTokenizer.FromLlama2cFile(TestModels.TokenizerPath)));
    private static readonly Lazy<TokenVocabulary> Llama = new(() => TokenVocabulary.FromTokenizer(
        LlamaTokenizer.FromSentencePieceModel(SharedData.PathOf("tokenizers", "llama2", "tokenizer.model"))));

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    [TestCase(0, 1500, true)]
    [TestCase(1, 300, false)]
    public void EveryCompletedOutputValidatesOnTheStoriesVocabulary(int seed, int schemas, bool bounded) =>
        Run(Small.Value, seed, schemas, seedsPerSchema: 2, maxTokens: 400, bounded, minCompleteShare: bounded ? 0.95 : 0.5);

    [Test]
    public void EveryCompletedOutputValidatesOnTheLlama2Vocabulary() =>
        Run(Llama.Value, seed: 2, schemas: 40, seedsPerSchema: 2, maxTokens: 300, bounded: true, minCompleteShare: 0.9);

    private static void Run(TokenVocabulary vocab, int seed, int schemas, int seedsPerSchema, int maxTokens, bool bounded, double minCompleteShare)
    {
        var gen = new RandomSchemas(seed, bounded);
        var rng = new Random(seed);
        int runs = 0, complete = 0;
        var mask = new ulong[vocab.MaskLength];
        float[] logits = new float[vocab.Size];
        for (int i = 0; i < schemas; i++)
        {
            string schemaText = gen.Next().ToJsonString();
            CompiledGrammar grammar;
            try
            {
                grammar = CompiledGrammar.FromJsonSchema(schemaText);
            }
            catch (GrammarException e)
            {
                Assert.Fail($"the generator only writes satisfiable schemas in the subset, yet: {e.Message}\n{schemaText}\n{Gbnf(schemaText)}");
                return;
            }

            var tg = new TokenGrammar(grammar, vocab);
            using var schemaDoc = JsonDocument.Parse(schemaText);
            for (int k = 0; k < seedsPerSchema; k++)
            {
                runs++;
                var options = RandomSampling(rng);
                var sampler = new Sampler(vocab.Size, options);
                var matcher = tg.CreateMatcher();
                var bytes = new List<byte>();
                var history = new List<int>();
                bool done = false;
                for (int step = 0; step < maxTokens && !done; step++)
                {
                    bool any = matcher.FillMask(mask);
                    if (!any)
                    {
                        Assert.That(matcher.CanEnd, Is.True, $"dead end after {Encoding.UTF8.GetString([.. bytes])}\n{schemaText}");
                        done = true;
                        break;
                    }

                    float scale = 1 + (float)rng.NextDouble() * 4;
                    for (int t = 0; t < logits.Length; t++)
                    {
                        logits[t] = (float)(rng.NextDouble() * 2 - 1) * scale;
                    }

                    int token = sampler.Sample(logits, history.ToArray(), mask);
                    Assert.That(mask[token >> 6] >> token & 1, Is.EqualTo(1UL), "the sampler picked a token the mask forbids");
                    history.Add(token);
                    if (token == vocab.EosId)
                    {
                        Assert.That(matcher.CanEnd, Is.True, "EOS is allowed only when the grammar can end");
                        done = true;
                        break;
                    }

                    matcher.Accept(token);
                    bytes.AddRange(vocab.Bytes(token).ToArray());
                }

                if (!done)
                {
                    continue;
                }

                complete++;
                string text = StrictUtf8.GetString([.. bytes]);
                Assert.That(grammar.Gbnf, Is.Not.Empty);
                JsonDocument doc;
                try
                {
                    doc = JsonDocument.Parse(text);
                }
                catch (JsonException e)
                {
                    Assert.Fail($"output does not parse: {e.Message}\n{text}\nschema: {schemaText}");
                    return;
                }

                using (doc)
                {
                    string? error = SchemaValidator.Validate(doc.RootElement, schemaDoc.RootElement);
                    Assert.That(error, Is.Null, $"output {text}\nschema {schemaText}");
                }
            }
        }

        TestContext.Out.WriteLine($"{complete} of {runs} generations complete");
        Assert.That(complete, Is.GreaterThanOrEqualTo((int)(runs * minCompleteShare)), "too few generations completed for the test to mean much");
    }

    private static string Gbnf(string schema)
    {
        try
        {
            return JsonSchemaGbnf.Translate(schema);
        }
        catch (GrammarException)
        {
            return "";
        }
    }

    private static SamplingOptions RandomSampling(Random rng) => rng.Next(5) switch
    {
        0 => SamplingOptions.Greedy,
        1 => SamplingOptions.Greedy with { RepetitionPenalty = 1.3f, Seed = (ulong)rng.Next() },
        2 => new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 1f, Seed = (ulong)rng.Next() },
        3 => new SamplingOptions { Temperature = 0.7f, TopK = 5, TopP = 0.9f, RepetitionPenalty = 1.1f, Seed = (ulong)rng.Next() },
        _ => new SamplingOptions { Temperature = 1.5f, TopK = 40, TopP = 0.5f, Seed = (ulong)rng.Next() },
    };
}
