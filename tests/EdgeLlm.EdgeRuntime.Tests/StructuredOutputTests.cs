using System.Text;
using EdgeLlm.EdgeRuntime.Service;

namespace EdgeLlm.EdgeRuntime.Tests;

/// <summary>The response_format / grammar fields as the prompt parser reads them.</summary>
public class StructuredOutputTests
{
    private static readonly RequestLimits Limits = new();

    private static ParseResult Parse(string json) => PromptParser.Parse(Encoding.UTF8.GetBytes(json), Limits, () => "gen");

    [Test]
    public void JsonObjectMeansAnyObjectAndTextMeansNone()
    {
        var any = Parse("{\"prompt\":\"x\",\"response_format\":{\"type\":\"json_object\"}}");
        Assert.That(any.IsError, Is.False, any.ErrorMessage);
        Assert.That(any.Request!.Grammar!.Matches("{\"a\": [1, {\"b\": null}]}"), Is.True);
        Assert.That(any.Request.Grammar.Matches("[1]"), Is.False);

        var text = Parse("{\"prompt\":\"x\",\"response_format\":{\"type\":\"text\"}}");
        Assert.That(text.Request!.Grammar, Is.Null);
        Assert.That(Parse("{\"prompt\":\"x\"}").Request!.Grammar, Is.Null);
    }

    [Test]
    public void TheSameSchemaTwiceIsTheSameCompiledGrammar()
    {
        // the engine's mask cache lives with the grammar instance: a repeated schema must find it warm
        const string p = "{\"prompt\":\"x\",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\",\"strict\":true,\"schema\":{\"type\":\"boolean\"}}}}";
        var first = Parse(p).Request!.Grammar;
        var second = Parse(p).Request!.Grammar;
        Assert.That(second, Is.SameAs(first));
        Assert.That(first!.Matches("true"), Is.True);
    }

    [TestCase("{\"prompt\":\"x\",\"response_format\":{\"type\":\"json_schema\"}}", "needs \"json_schema\"")]
    [TestCase("{\"prompt\":\"x\",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{},\"extra\":1}}}", "response_format.json_schema.extra")]
    [TestCase("{\"prompt\":\"x\",\"response_format\":\"json\"}", "must be an object")]
    [TestCase("{\"prompt\":\"x\",\"grammar\":7}", "non-empty string of GBNF")]
    [TestCase("{\"prompt\":\"x\",\"grammar\":\"root ::= \\\"a\\\"\",\"response_format\":{\"type\":\"json_object\"}}", "cannot be used together")]
    public void MistakesAreBadRequests(string json, string what)
    {
        var r = Parse(json);
        Assert.That(r.IsError, Is.True);
        Assert.That(r.ErrorCode, Is.EqualTo(ErrorCodes.BadRequest));
        Assert.That(r.ErrorMessage, Does.Contain(what));
    }
}
