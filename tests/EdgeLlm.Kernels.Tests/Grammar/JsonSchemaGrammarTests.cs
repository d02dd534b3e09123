using System.Globalization;
using System.Text;
using EdgeLlm.Kernels.Grammar;

namespace EdgeLlm.Kernels.Tests.Grammar;

public class JsonSchemaGrammarTests
{
    private static bool Matches(CompiledGrammar g, string text) => new GrammarState(g).Matches(Encoding.UTF8.GetBytes(text));

    [TestCase("{\"type\":\"string\",\"pattern\":\"a+\"}", "pattern", "/pattern")]
    [TestCase("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"format\":\"date\"}}}", "format", "/properties/a/format")]
    [TestCase("{\"oneOf\":[{\"type\":\"null\"}]}", "oneOf", "/oneOf")]
    [TestCase("{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"exclusiveMinimum\":0}}", "exclusiveMinimum", "/items/exclusiveMinimum")]
    [TestCase("{\"$defs\":{\"x\":{\"type\":\"number\",\"multipleOf\":2}},\"$ref\":\"#/$defs/x\"}", "multipleOf", "/$defs/x/multipleOf")]
    [TestCase("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}", "additionalProperties", "/additionalProperties")]
    [TestCase("{\"type\":\"object\",\"properties\":{\"a/b\":{\"allOf\":[]}}}", "allOf", "/properties/a~1b/allOf")]
    public void KeywordsOutsideTheSubsetAreNamedWithTheirPointer(string schema, string keyword, string pointer)
    {
        var e = Assert.Throws<GrammarException>(() => CompiledGrammar.FromJsonSchema(schema))!;
        Assert.That(e.Keyword, Is.EqualTo(keyword), e.Message);
        Assert.That(e.Pointer, Is.EqualTo(pointer), e.Message);
        Assert.That(e.Message, Does.Contain(keyword).And.Contain(pointer));
    }

    [TestCase("{\"type\":\"integer\",\"minimum\":5,\"maximum\":2}", "/maximum")]
    [TestCase("{\"type\":\"integer\",\"minimum\":1.2,\"maximum\":1.8}", "")]
    [TestCase("{\"type\":\"string\",\"minLength\":3,\"maxLength\":2}", "/maxLength")]
    [TestCase("{\"type\":\"array\",\"minItems\":3,\"maxItems\":1}", "/maxItems")]
    [TestCase("{\"type\":\"object\",\"required\":[\"a\"],\"additionalProperties\":false}", "/required")]
    [TestCase("{\"type\":\"object\",\"properties\":{\"a\":false},\"required\":[\"a\"]}", "/properties/a")]
    [TestCase("{\"enum\":[1,2],\"type\":\"string\"}", "/enum")]
    [TestCase("{\"$ref\":\"#/$defs/x\",\"$defs\":{\"x\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/x\"}}}}", "/items/$ref")]
    [TestCase("{\"$ref\":\"#/$defs/missing\"}", "/$ref")]
    [TestCase("false", "")]
    public void UnsatisfiableSchemasSayWhere(string schema, string pointer)
    {
        var e = Assert.Throws<GrammarException>(() => CompiledGrammar.FromJsonSchema(schema))!;
        Assert.That(e.Pointer, Does.EndWith(pointer), e.Message);
        Assert.That(e.Message, Does.Not.Contain('\n'));
    }

    [Test]
    public void NotJsonIsOneLine()
    {
        var e = Assert.Throws<GrammarException>(() => CompiledGrammar.FromJsonSchema("{\"type\":"))!;
        Assert.That(e.Message, Does.StartWith("the JSON Schema is not valid JSON"));
    }

    [Test]
    public void ObjectsFollowTheSchemaOrderWithOptionalMembersAndCommasRight()
    {
        var g = CompiledGrammar.FromJsonSchema("""
            {"type":"object","properties":{"a":{"type":"boolean"},"b":{"type":"null"},"c":{"type":"integer","minimum":0,"maximum":9}},
             "required":["b"],"additionalProperties":false}
            """);
        Assert.That(Matches(g, "{\"b\":null}"), Is.True);
        Assert.That(Matches(g, "{\"a\":true,\"b\":null,\"c\":7}"), Is.True);
        Assert.That(Matches(g, "{ \"a\": false, \"b\": null }"), Is.True);
        Assert.That(Matches(g, "{\"b\":null,\"c\":10}"), Is.False);
        Assert.That(Matches(g, "{\"a\":true}"), Is.False, "b is required");
        Assert.That(Matches(g, "{\"b\":null,}"), Is.False);
        Assert.That(Matches(g, "{,\"b\":null}"), Is.False);
        Assert.That(Matches(g, "{\"c\":1,\"b\":null}"), Is.False, "schema order");
    }

    [Test]
    public void StringLengthCountsCodePointsAndEscapes()
    {
        var g = CompiledGrammar.FromJsonSchema("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}");
        Assert.That(Matches(g, "\"ab\""), Is.True);
        Assert.That(Matches(g, "\"\u00e9\U0001F600\""), Is.True);
        Assert.That(Matches(g, "\"a\\n\\u00e9\""), Is.True);
        Assert.That(Matches(g, "\"a\""), Is.False);
        Assert.That(Matches(g, "\"abcd\""), Is.False);
        Assert.That(Matches(g, "\"\\ud83d\\ude00\""), Is.False, "surrogate escapes would count two chars for one code point");
        Assert.That(Matches(g, "\"a\nb\""), Is.False, "raw control characters are not JSON");
    }

    [Test]
    public void IntegerRangesAcceptExactlyTheirMembers()
    {
        var rng = new Random(5);
        for (int n = 0; n < 60; n++)
        {
            long? lo = rng.Next(3) == 0 ? null : rng.Next(-1500, 1500);
            long? hi = rng.Next(3) == 0 ? null : (lo ?? 0) + rng.Next(0, 2500);
            string schema = "{\"type\":\"integer\"" + (lo is null ? "" : $",\"minimum\":{lo}") + (hi is null ? "" : $",\"maximum\":{hi}") + "}";
            var state = new GrammarState(CompiledGrammar.FromJsonSchema(schema));
            for (long x = -3000; x <= 4000; x += 1 + rng.Next(3))
            {
                bool inRange = (lo is null || x >= lo) && (hi is null || x <= hi);
                Assert.That(state.Matches(Encoding.ASCII.GetBytes(x.ToString(CultureInfo.InvariantCulture))), Is.EqualTo(inRange), $"{x} under {schema}");
            }

            Assert.That(state.Matches("007"u8), Is.False, "no leading zeros");
            Assert.That(state.Matches("-0"u8), Is.False);
        }
    }

    [Test]
    public void DecimalRangesAcceptExactlyTheirMembers()
    {
        var rng = new Random(6);
        for (int n = 0; n < 80; n++)
        {
            decimal? lo = rng.Next(4) == 0 ? null : Dec(rng);
            decimal? hi = rng.Next(4) == 0 ? null : (lo ?? 0) + Math.Abs(Dec(rng));
            string schema = "{\"type\":\"number\"" + (lo is null ? "" : $",\"minimum\":{lo.Value.ToString(CultureInfo.InvariantCulture)}")
                + (hi is null ? "" : $",\"maximum\":{hi.Value.ToString(CultureInfo.InvariantCulture)}") + "}";
            var state = new GrammarState(CompiledGrammar.FromJsonSchema(schema));
            for (int k = 0; k < 400; k++)
            {
                // candidates near the bounds, with extra trailing digits, and anywhere
                decimal x = k % 3 == 0 && lo is decimal l ? l + (rng.Next(-50, 50) / 1000m)
                    : k % 3 == 1 && hi is decimal h ? h + (rng.Next(-50, 50) / 1000m)
                    : Dec(rng) * 3;
                string text = x.ToString(CultureInfo.InvariantCulture);
                if (rng.Next(4) == 0 && text.Contains('.', StringComparison.Ordinal))
                {
                    text += "0";
                }

                bool inRange = (lo is null || x >= lo) && (hi is null || x <= hi);
                Assert.That(state.Matches(Encoding.ASCII.GetBytes(text)), Is.EqualTo(inRange), $"{text} under {schema}");
            }
        }
    }

    private static decimal Dec(Random rng)
    {
        decimal v = rng.Next(-300000, 300000);
        for (int i = rng.Next(5); i > 0; i--)
        {
            v /= 10;
        }

        return v;
    }

    [Test]
    public void TheGbnfTextCompilesAgainToTheSameLanguage()
    {
        var g = CompiledGrammar.FromJsonSchema("{\"type\":\"array\",\"items\":{\"enum\":[\"on\",\"off\"]},\"maxItems\":2}");
        var again = CompiledGrammar.FromGbnf(g.Gbnf);
        foreach (string s in new[] { "[]", "[\"on\"]", "[\"on\", \"off\"]", "[\"on\",\"off\",\"on\"]", "[on]" })
        {
            Assert.That(Matches(again, s), Is.EqualTo(Matches(g, s)), s);
        }

        Assert.That(Matches(g, "[\"on\", \"off\"]"), Is.True);
        Assert.That(Matches(g, "[\"on\",\"off\",\"on\"]"), Is.False);
    }
}
