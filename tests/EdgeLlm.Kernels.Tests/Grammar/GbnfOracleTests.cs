using System.Text;
using EdgeLlm.Kernels.Grammar;
using EdgeLlm.Kernels.Tests.Oracle;

namespace EdgeLlm.Kernels.Tests.Grammar;

/// <summary>
/// llama.cpp's grammar sampler as the oracle: the same GBNF accepts and rejects the same texts in both engines, at the
/// same byte. Texts: random walks the grammar allows, their mutations (a character inserted, deleted or replaced) and
/// random strings, over ASCII and 2-, 3- and 4-byte UTF-8 characters.
/// </summary>
public class GbnfOracleTests
{
    private static readonly string[] Alphabet = [.. "abcxyz019 -_.\"\\\n{}[]:,".Select(c => c.ToString()), "\u00e9", "\u00e0", "\u00ff", "\u4e2d", "\u6587", "\U0001F600", "\U0001F60F"];

    private static readonly string[] Handwritten =
    [
        .. TokenMaskTests.Gbnf,
        "root ::= [^\"\\\\\\x00-\\x1F]{2,5} | \"x\" .? \"y\"",
        "root ::= (\"a\" | \"ab\" | \"abc\")* \"c\"",
        "root ::= a{0,3} b+ c?\na ::= [\u00e0-\u00ff] | \"\\u4e2d\"\nb ::= [\U0001F600-\U0001F60F] | [x-z]\nc ::= \"\" | [^a-z]",
        "root ::= x (\",\" x)*\nx ::= \"[\" (x (\",\" x)*)? \"]\" | [0-9]",
        "root ::= ([a-c] [a-c]?){2} \"\\\\\" \"\\\"\"",
    ];

    /// <summary>Grammars both must refuse: syntax errors, undefined rules, left recursion, no root.</summary>
    private static readonly string[] Broken =
    [
        "root ::= \"a",
        "root ::= [a-",
        "root ::= x",
        "root ::= root \"a\"",
        "x ::= \"a\"",
        "root ::= (\"a\"",
        "root ::= \"a\" )",
        "root = \"a\"",
        "root ::= *",
    ];

    [Test]
    public void HandwrittenGrammarsAgreeWithLlamaCpp() => Compare(Handwritten, seed: 1, textsPerGrammar: 120);

    [Test]
    public void RandomGrammarsAgreeWithLlamaCpp()
    {
        var rng = new Random(7);
        var grammars = Enumerable.Range(0, 80).Select(_ => RandomGrammar(rng)).ToArray();
        Compare(grammars, seed: 2, textsPerGrammar: 40);
    }

    [Test]
    public void SchemaGrammarsAgreeWithLlamaCpp()
    {
        var schemas = new RandomSchemas(21);
        var grammars = Enumerable.Range(0, 25).Select(_ => CompiledGrammar.FromJsonSchema(schemas.Next().ToJsonString()).Gbnf).ToArray();
        Compare(grammars, seed: 3, textsPerGrammar: 40);
    }

    [Test]
    public void BrokenGrammarsAreRefusedByBoth()
    {
        var results = LlamaCppGrammar.Check(Broken, Broken.Select(_ => (IReadOnlyList<byte[]>)[[]]).ToArray());
        for (int i = 0; i < Broken.Length; i++)
        {
            Assert.That(results[i], Is.Null, $"llama.cpp accepted {Broken[i]}");
            Assert.Throws<GrammarException>(() => CompiledGrammar.FromGbnf(Broken[i]), Broken[i]);
        }
    }

    private static void Compare(IReadOnlyList<string> grammars, int seed, int textsPerGrammar)
    {
        var rng = new Random(seed);
        var texts = new List<IReadOnlyList<byte[]>>();
        var compiled = grammars.Select(g => CompiledGrammar.FromGbnf(g)).ToArray();
        foreach (var g in compiled)
        {
            texts.Add(Texts(g, rng, textsPerGrammar));
        }

        var oracle = LlamaCppGrammar.Check(grammars, texts);
        int accepted = 0, rejected = 0;
        for (int k = 0; k < grammars.Count; k++)
        {
            Assert.That(oracle[k], Is.Not.Null, $"llama.cpp refused a grammar we compile:\n{grammars[k]}");
            var state = new GrammarState(compiled[k]);
            for (int i = 0; i < texts[k].Count; i++)
            {
                byte[] text = texts[k][i];
                state.Reset();
                int at = state.Accept(text);
                var ours = (CharIndex(text, at == text.Length ? -1 : at), at == text.Length && state.CanEnd);
                var theirs = (CharIndex(text, oracle[k]![i].RejectedAt), oracle[k]![i].Accepted);
                Assert.That(ours, Is.EqualTo(theirs), $"text '{Encoding.UTF8.GetString(text)}' under\n{grammars[k]}");
                if (ours.Item2)
                {
                    accepted++;
                }
                else
                {
                    rejected++;
                }
            }
        }

        TestContext.Out.WriteLine($"{accepted} accepted, {rejected} rejected, all as llama.cpp");
        Assert.That(accepted, Is.GreaterThan(texts.Sum(t => t.Count) / 5), "too few accepted texts to mean much");
        Assert.That(rejected, Is.GreaterThan(texts.Sum(t => t.Count) / 5), "too few rejected texts to mean much");
    }

    /// <summary>
    /// The character holding byte <paramref name="at"/> (-1 stays -1). Rejections are compared per character: on a
    /// character cut after its lead byte llama.cpp's negated classes refuse whenever an excluded range could still
    /// follow (llama_grammar_match_partial_char), we only once the bytes rule every member out; for the alphabet and
    /// classes here both refuse the same characters, sometimes at different bytes of them (docs/structured-output.md).
    /// </summary>
    private static int CharIndex(byte[] text, int at)
    {
        if (at < 0)
        {
            return -1;
        }

        int chars = -1;
        for (int i = 0; i <= at; i++)
        {
            if ((text[i] & 0xC0) != 0x80)
            {
                chars++;
            }
        }

        return chars;
    }

    /// <summary>Random walks the grammar allows (ending where it can), their mutations, and random strings.</summary>
    private static List<byte[]> Texts(CompiledGrammar g, Random rng, int n)
    {
        var result = new List<byte[]>();
        var state = new GrammarState(g);
        var probe = new GrammarState(g);
        var walk = new List<byte>();
        while (result.Count < n)
        {
            int kind = rng.Next(3);
            var sb = new StringBuilder();
            if (kind == 2)
            {
                for (int i = rng.Next(8); i > 0; i--)
                {
                    sb.Append(Alphabet[rng.Next(Alphabet.Length)]);
                }
            }
            else
            {
                state.Reset();
                walk.Clear();
                for (int step = 0; step < 60; step++)
                {
                    if (state.CanEnd && rng.Next(4) == 0)
                    {
                        break;
                    }

                    string? next = Alphabet.OrderBy(_ => rng.Next()).FirstOrDefault(c => Fits(probe, walk, c));
                    if (next is null)
                    {
                        break;
                    }

                    state.Accept(Encoding.UTF8.GetBytes(next));
                    walk.AddRange(Encoding.UTF8.GetBytes(next));
                    sb.Append(next);
                }

                if (kind == 1 && sb.Length > 0)
                {
                    Mutate(sb, rng);
                }
            }

            result.Add(Encoding.UTF8.GetBytes(sb.ToString()));
        }

        return result;
    }

    /// <summary>Whether the walk so far plus <paramref name="c"/> is a prefix the grammar allows (replayed on a probe).</summary>
    private static bool Fits(GrammarState probe, List<byte> walk, string c)
    {
        probe.Reset();
        byte[] b = Encoding.UTF8.GetBytes(c);
        return probe.Accept([.. walk]) == walk.Count && probe.Accept(b) == b.Length;
    }

    private static void Mutate(StringBuilder sb, Random rng)
    {
        var runes = sb.ToString().EnumerateRunes().Select(r => r.ToString()).ToList();
        int at = rng.Next(runes.Count);
        switch (rng.Next(3))
        {
            case 0: runes.Insert(at, Alphabet[rng.Next(Alphabet.Length)]); break;
            case 1: runes.RemoveAt(at); break;
            default: runes[at] = Alphabet[rng.Next(Alphabet.Length)]; break;
        }

        sb.Clear().Append(string.Concat(runes));
    }

    /// <summary>A random grammar: rules reference only later rules (no recursion), with every GBNF construct.</summary>
    private static string RandomGrammar(Random rng)
    {
        int rules = 1 + rng.Next(4);
        var sb = new StringBuilder();
        for (int r = 0; r < rules; r++)
        {
            sb.Append(r == 0 ? "root" : $"r{r}").Append(" ::= ").Append(Alternatives(rng, r, rules, 2)).Append('\n');
        }

        return sb.ToString();
    }

    private static string Alternatives(Random rng, int rule, int rules, int depth)
    {
        int n = 1 + rng.Next(3);
        return string.Join(" | ", Enumerable.Range(0, n).Select(_ => Sequence(rng, rule, rules, depth)));
    }

    private static string Sequence(Random rng, int rule, int rules, int depth)
    {
        int n = 1 + rng.Next(3);
        var items = new List<string>();
        for (int i = 0; i < n; i++)
        {
            int kind = rng.Next(depth > 0 ? 7 : 5);
            string item = kind switch
            {
                0 or 1 => Literal(rng),
                2 => Class(rng),
                3 => rule + 1 < rules ? $"r{rule + 1 + rng.Next(rules - rule - 1)}" : Literal(rng),
                4 => rng.Next(4) == 0 ? "." : Literal(rng),
                _ => "(" + Alternatives(rng, rule, rules, depth - 1) + ")",
            };

            // Repeating what may itself repeat ((a*)*, r{2,4} of a repeated rule) makes grammars ambiguous enough that
            // thousands of parses live at once in both engines; terminals get every operator, groups and rules rarely.
            int op = kind is 3 or 5 or 6 ? (rng.Next(4) == 0 ? rng.Next(3) : 5) : rng.Next(6);
            item += op switch
            {
                0 => "*",
                1 => "+",
                2 => "?",
                3 => $"{{{rng.Next(3)},{rng.Next(3) + 2}}}",
                // not {0}: it leaves an empty alternative, and llama.cpp refuses a repeated group with one (see the docs)
                4 => rng.Next(2) == 0 ? $"{{{1 + rng.Next(2)}}}" : $"{{{rng.Next(2)},}}",
                _ => "",
            };
            items.Add(item);
        }

        return string.Join(" ", items);
    }

    private static string Literal(Random rng)
    {
        var sb = new StringBuilder("\"");
        for (int i = 1 + rng.Next(3); i > 0; i--)
        {
            string c = Alphabet[rng.Next(Alphabet.Length)];
            sb.Append(c switch { "\"" => "\\\"", "\\" => "\\\\", "\n" => "\\n", _ => c });
        }

        return sb.Append('"').ToString();
    }

    private static string Class(Random rng)
    {
        string[] parts = ["a-c", "x-z", "0-9", "\u00e0-\u00ff", "\u4e00-\u9fff", "\U0001F600-\U0001F60F", "_", "\\\"", "\\\\", " ", "\\n", "\\x7B-\\x7D"];
        var sb = new StringBuilder("[");
        if (rng.Next(4) == 0)
        {
            sb.Append('^');
        }

        for (int i = 1 + rng.Next(3); i > 0; i--)
        {
            sb.Append(parts[rng.Next(parts.Length)]);
        }

        return sb.Append(']').ToString();
    }
}
