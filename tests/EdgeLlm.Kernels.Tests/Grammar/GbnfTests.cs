using System.Text;
using EdgeLlm.Kernels.Grammar;

namespace EdgeLlm.Kernels.Tests.Grammar;

public class GbnfTests
{
    private static bool Matches(string gbnf, string text) => new GrammarState(CompiledGrammar.FromGbnf(gbnf)).Matches(Encoding.UTF8.GetBytes(text));

    [TestCase("root ::= \"abc\"", "abc", true)]
    [TestCase("root ::= \"abc\"", "ab", false)]
    [TestCase("root ::= \"abc\"", "abcd", false)]
    [TestCase("root ::= [a-c]+ \"!\"", "abcba!", true)]
    [TestCase("root ::= [a-c]+ \"!\"", "!", false)]
    [TestCase("root ::= [^a-c]* ", "xyz\u00e9\u4e2d\U0001F600", true)]
    [TestCase("root ::= [^a-c]*", "xaz", false)]
    [TestCase("root ::= \"a\"{2,3}", "aa", true)]
    [TestCase("root ::= \"a\"{2,3}", "aaa", true)]
    [TestCase("root ::= \"a\"{2,3}", "aaaa", false)]
    [TestCase("root ::= \"a\"{2,3}", "a", false)]
    [TestCase("root ::= (\"ab\" | \"c\")* \"d\"", "abcabd", true)]
    [TestCase("root ::= x x\nx ::= [\u00e0-\u00ff] | \"\\u4e2d\"", "\u00e9\u4e2d", true)]
    [TestCase("root ::= x x\nx ::= [\u00e0-\u00ff] | \"\\u4e2d\"", "\u00df\u4e2d", false)]
    [TestCase("root ::= . . .", "a\u00e9\U0001F600", true)]
    [TestCase("root ::= \"\" | \"a\"", "", true)]
    [TestCase("root ::= (\n  \"a\" |\n  \"b\"\n) # comment\n", "b", true)]
    [TestCase("root ::= \"\\x41\\t\\\"\\\\\"", "A\t\"\\", true)]
    public void Matching(string gbnf, string text, bool expected) => Assert.That(Matches(gbnf, text), Is.EqualTo(expected));

    [TestCase("root ::= \"a", 1, 10, "unterminated")]
    [TestCase("root ::= [a-", 1, 10, "unterminated")]
    [TestCase("root = \"a\"", 1, 6, "::=")]
    [TestCase("root ::= \"a\"\nfoo ::= (\"b\"", 2, 13, "')'")]
    [TestCase("root ::= x\n", 1, 10, "'x' is used but never defined")]
    [TestCase("root ::= *", 1, 10, "needs an item")]
    [TestCase("root ::= \"a\" )", 1, 14, "expected a newline")]
    [TestCase("root ::= \"\\q\"", 1, 11, "unknown escape")]
    [TestCase("\n\nroot ::= root \"a\"", 3, 1, "left recursion")]
    [TestCase("root ::= a\na ::= b a \"x\"\nb ::= \"\" | \"y\"", 2, 1, "left recursion")]
    [TestCase("root ::= \"a\" root", 1, 1, "matches no string")]
    [TestCase("root ::= []", 1, 1, "matches no string")]
    [TestCase("x ::= \"a\"", null, null, "no rule named 'root'")]
    [TestCase("root ::= \"a\"{3,2}", 1, 13, "below its minimum")]
    public void ErrorsSayWhere(string gbnf, int? line, int? column, string what)
    {
        var e = Assert.Throws<GrammarException>(() => CompiledGrammar.FromGbnf(gbnf))!;
        Assert.That(e.Message, Does.Contain(what));
        Assert.That(e.Line, Is.EqualTo(line), e.Message);
        Assert.That(e.Column, Is.EqualTo(column), e.Message);
        Assert.That(e.Message, Does.Not.Contain('\n'), "one line");
    }

    [Test]
    public void RejectedByteLeavesTheStateAsItWas()
    {
        var s = new GrammarState(CompiledGrammar.FromGbnf("root ::= \"ab\" | \"ac\""));
        Assert.That(s.TryAccept((byte)'a'), Is.True);
        Assert.That(s.TryAccept((byte)'x'), Is.False);
        Assert.That(s.TryAccept((byte)'c'), Is.True);
        Assert.That(s.CanEnd && s.IsComplete, Is.True);
    }

    [Test]
    public void InvalidUtf8IsRejectedEvenByAnyCharacter()
    {
        var g = CompiledGrammar.FromGbnf("root ::= .*");
        var s = new GrammarState(g);
        Assert.That(s.Matches([0xC3, 0xA9]), Is.True);          // é
        Assert.That(s.Matches([0xC0, 0x80]), Is.False);         // overlong NUL
        Assert.That(s.Matches([0xED, 0xA0, 0x80]), Is.False);   // a surrogate
        Assert.That(s.Matches([0xC3]), Is.False);               // cut short
        Assert.That(s.Matches([0x80]), Is.False);               // a lone continuation byte
    }
}
