using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Grammar;
using EdgeLlm.Kernels.Sampling;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Tests.Grammar;

/// <summary>The cached masks equal the definition: a token is allowed when the grammar accepts the text so far plus its bytes.</summary>
public class TokenMaskTests
{
    /// <summary>GBNF grammars with nesting, ambiguity, non-ASCII classes and rules that end mid-token.</summary>
    public static readonly string[] Gbnf =
    [
        """
        root ::= object
        value ::= object | array | string | number | ("true" | "false" | "null") ws
        object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
        array ::= "[" ws ( value ("," ws value)* )? "]" ws
        string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
        number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws
        ws ::= | " " | "\n" [ \t]{0,20}
        """,
        """
        root ::= (expr "=" ws term "\n")+
        expr ::= term ([-+*/] term)*
        term ::= ident | num | "(" ws expr ")" ws
        ident ::= [a-z] [a-z0-9_]* ws
        num ::= [0-9]+ ws
        ws ::= [ \t]*
        """,
        """
        root ::= line{1,3}
        line ::= ("The " | "the ") word (" " word)* ("." | "!") "\n"?
        word ::= [a-zA-Z\u00e0-\u00ff]+ | "\u4e2d" | "caf\u00e9"
        """,
    ];

    private static readonly Lazy<TokenVocabulary> Small = new(() => TokenVocabulary.FromTokenizer(LlamaTokenizer.FromLlama2cFile(TestModels.TokenizerPath)));
    private static readonly Lazy<TokenVocabulary> Llama = new(() => TokenVocabulary.FromTokenizer(
        LlamaTokenizer.FromSentencePieceModel(SharedData.PathOf("tokenizers", "llama2", "tokenizer.model"))));

    [Test]
    public void MasksEqualTheDefinitionOnTheStoriesVocabulary()
    {
        var grammars = Gbnf.Select(g => CompiledGrammar.FromGbnf(g)).ToList();
        var schemas = new RandomSchemas(11);
        for (int i = 0; i < 40; i++)
        {
            grammars.Add(CompiledGrammar.FromJsonSchema(schemas.Next().ToJsonString()));
        }

        int checkedSteps = 0;
        foreach (var g in grammars)
        {
            checkedSteps += Compare(g, Small.Value, steps: 60, seed: checkedSteps);
        }

        Assert.That(checkedSteps, Is.GreaterThan(500));
    }

    [Test]
    public void MasksEqualTheDefinitionOnTheLlama2Vocabulary()
    {
        var schemas = new RandomSchemas(12);
        int checkedSteps = 0;
        foreach (string gbnf in Gbnf.Concat(Enumerable.Range(0, 3).Select(_ => CompiledGrammar.FromJsonSchema(schemas.Next().ToJsonString()).Gbnf)))
        {
            checkedSteps += Compare(CompiledGrammar.FromGbnf(gbnf), Llama.Value, steps: 8, seed: checkedSteps);
        }

        Assert.That(checkedSteps, Is.GreaterThan(20));
    }

    /// <summary>Random walk under the mask; at each step the mask is compared with replaying the text plus each token.</summary>
    private static int Compare(CompiledGrammar grammar, TokenVocabulary vocab, int steps, int seed)
    {
        var tg = new TokenGrammar(grammar, vocab);
        var matcher = tg.CreateMatcher();
        var replay = new GrammarState(grammar);
        var sampler = new Sampler(vocab.Size, new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 1f, Seed = (ulong)seed + 1 });
        var rng = new Random(seed);
        var mask = new ulong[vocab.MaskLength];
        var logits = new float[vocab.Size];
        var text = new List<byte>();
        int done = 0;
        for (int step = 0; step < steps; step++)
        {
            bool any = matcher.FillMask(mask);
            for (int t = 0; t < vocab.Size; t++)
            {
                bool expected;
                if (t == vocab.EosId)
                {
                    replay.Reset();
                    expected = replay.Accept([.. text]) == text.Count && replay.CanEnd;
                }
                else
                {
                    var bytes = vocab.Bytes(t);
                    replay.Reset();
                    expected = bytes.Length > 0 && replay.Accept([.. text]) == text.Count && replay.Accept(bytes) == bytes.Length;
                }

                bool actual = (mask[t >> 6] >> t & 1) != 0;
                if (actual != expected)
                {
                    Assert.Fail($"token {t} ({System.Text.Encoding.UTF8.GetString(vocab.Bytes(t))}) after '{System.Text.Encoding.UTF8.GetString([.. text])}': mask {actual}, definition {expected}");
                }
            }

            done++;
            if (!any)
            {
                break;
            }

            for (int t = 0; t < logits.Length; t++)
            {
                logits[t] = (float)rng.NextDouble() * 3;
            }

            mask[vocab.EosId >> 6] &= ~(1UL << vocab.EosId); // keep walking while text can continue
            int token = sampler.Sample(logits, [], mask);
            matcher.Accept(token);
            text.AddRange(vocab.Bytes(token).ToArray());
        }

        return done;
    }
}
